"""`returnflow kpi` end to end: the seeded store through the real command."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from adapters.store import Store
from tests.kpi.html_figures import Figures
from tests.kpi.seed import seed_week
from workers.cli import app


def test_kpi_command_writes_json_and_html(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kpi.db'}"
    store = Store.from_url(url)
    store.create_all()
    seed_week(store)
    page = tmp_path / "report.html"
    env = {"RETURNFLOW_STORE_URL": url, "RETURNFLOW_KPI_TARGETS": '{"aged_backlog": 1}'}
    result = CliRunner().invoke(
        app,
        ["kpi", "--week", "2026-W47", "--by", "storefront", "--json", "--html", str(page)],
        env=env,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [card["group"] for card in data["cards"]] == ["uk", "us"]
    uk = {line["key"]: line for line in data["cards"][0]["lines"]}
    assert (uk["aged_backlog"]["value"], uk["aged_backlog"]["status"]) == (1.0, "green")
    rows = Figures(page.read_text(encoding="utf-8")).rows
    assert {(r["data-group"], r["data-kpi"]) for r in rows} >= {("uk", "aged_backlog")}
    refused = CliRunner().invoke(app, ["kpi", "--week", "2026-47"], env=env)
    assert refused.exit_code != 0
