"""`returnflow check-mappings` against the Loop and NetSuite sandboxes with a seeded mismatch."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from adapters.sandbox.server import ServedApp
from tests.harness import LOOP_KEY, NS, LoopDriver
from workers.cli import app

EXAMPLE = Path(__file__).parents[2] / "docs" / "mappings.example.toml"


def env(loop: ServedApp, ns: ServedApp) -> dict[str, str]:
    return {
        "RETURNFLOW_LOOP_BASE_URL": loop.url,
        "RETURNFLOW_LOOP_API_KEY": LOOP_KEY,
        "RETURNFLOW_NETSUITE_BASE_URL": ns.url,
        "RETURNFLOW_NETSUITE_CONSUMER_KEY": NS["consumer_key"],
        "RETURNFLOW_NETSUITE_CONSUMER_SECRET": NS["consumer_secret"],
        "RETURNFLOW_NETSUITE_TOKEN_ID": NS["token_id"],
        "RETURNFLOW_NETSUITE_TOKEN_SECRET": NS["token_secret"],
        "RETURNFLOW_MAPPINGS_FILE": "",
    }


async def seed(loop_url: str) -> list[str]:
    """One clean return and one with an unmapped reason and a SKU NetSuite does not know."""
    driver = LoopDriver(loop_url)
    try:
        clean = await driver.create("#1003")
        odd = await driver.create(
            "#1004",
            reason="It smelled funny",
            parent_reason="Other",
            extra_lines=[{"sku": "MYSTERY-1", "price": "10.00"}],
        )
    finally:
        await driver.aclose()
    return [str(clean["id"]), str(odd["id"])]


def run(args: list[str], environment: dict[str, str]):
    return CliRunner().invoke(app, args, env=environment, catch_exceptions=False)


def test_check_mappings_reports_what_blocks_and_exits_non_zero(
    sandboxes: tuple[ServedApp, ServedApp], tmp_path: Path
) -> None:
    loop, ns = sandboxes
    since = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")
    clean_id, odd_id = asyncio.run(seed(loop.url))
    mappings = tmp_path / "mappings.toml"
    mappings.write_text(EXAMPLE.read_text().replace('refurb = "3"', 'refurb = "99"'))
    report_path = tmp_path / "report.json"

    result = run(
        [
            "check-mappings",
            "--mappings",
            str(mappings),
            "--since",
            since,
            "--json",
            str(report_path),
        ],
        env(loop, ns),
    )
    assert result.exit_code == 1, result.output
    report = json.loads(report_path.read_text())
    found = {(f["kind"], f["value"]): f for f in report["findings"]}
    assert report["returns_checked"] >= 2
    assert found[("sku", "MYSTERY-1")]["seen_in"] == [odd_id]
    assert found[("reason", "It smelled funny")]["seen_in"] == [odd_id]
    assert ("location", "locations.refurb = 99") in found
    assert all(f["blocking"] for f in found.values())
    assert not any(clean_id in f["seen_in"] for f in found.values())  # the clean return is clean
    assert "MYSTERY-1" in result.output and "It smelled funny" in result.output

    # map what was missing (a pinned item, a reason code): nothing blocks any more
    fixed = EXAMPLE.read_text()
    fixed = fixed.replace('"GIFT-WRAP" = "512"', '"GIFT-WRAP" = "512"\n"MYSTERY-1" = "501"')
    fixed = fixed.replace(
        '"Item was too big" = "size_too_big"',
        '"Item was too big" = "size_too_big"\n"It smelled funny" = "odour"',
    )
    mappings.write_text(fixed)
    again = run(["check-mappings", "--mappings", str(mappings), "--since", since], env(loop, ns))
    assert again.exit_code == 0, again.output


def test_a_broken_mapping_file_names_its_line(
    sandboxes: tuple[ServedApp, ServedApp], tmp_path: Path
) -> None:
    loop, ns = sandboxes
    mappings = tmp_path / "mappings.toml"
    mappings.write_text('[dispositions.grades]\ngrade_a = "shelve"\n')
    result = run(["check-mappings", "--mappings", str(mappings)], env(loop, ns))
    assert result.exit_code == 2
    assert "mappings.toml:2: dispositions.grades.grade_a" in result.output
