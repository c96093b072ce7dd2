"""The UK ERP drill re-runs one ERP at a time: the other's last run stays, with its own date."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.bench.bench_erp_drills import markdown, merged


def _run(erp: str, returns: int, at: str) -> dict[str, Any]:
    return {
        "erp_system": erp,
        "returns": returns,
        "machine": {"measured_at": at, "load_average_1m_at_start": 0.5, "python_speed_ms": 56.0},
        "seconds": 1.0,
        "disruptions": [],
        "erp_faults_injected": {},
        "erp_lost_answers": 0,
        "erp_429_governance": 0,
        "erp_documents": {},
        "did_not_finish": 0,
        "other_findings": 0,
        "findings": [],
        "clean": True,
        "concurrency": 50,
    }


def test_an_erp_not_re_run_keeps_its_last_run_and_its_date(tmp_path: Path) -> None:
    previous = tmp_path / "bench_erp_drills.json"
    old_machine = {"measured_at": "2026-12-01T00:00:00+00:00", "load_average_1m_at_start": 0.1}
    old_runs = [_run("khaos", 1_000, ""), _run("prima", 1_000, "")]
    for run in old_runs:
        del run["machine"]  # recorded before runs carried their own machine
    previous.write_text(json.dumps({"machine": old_machine, "runs": old_runs}))

    runs = merged([_run("khaos", 10_000, "2026-12-07T05:00:00+00:00")], previous)

    assert [(c["erp_system"], c["returns"]) for c in runs] == [("khaos", 10_000), ("prima", 1_000)]
    assert runs[1]["machine"] == old_machine
    text = markdown({"machine": runs[0]["machine"], "runs": runs})
    assert "measured separately" in text
    assert "Prima at 2026-12-01T00:00:00+00:00" in text


def test_a_run_of_every_erp_replaces_the_lot(tmp_path: Path) -> None:
    previous = tmp_path / "bench_erp_drills.json"
    at = "2026-12-01T00:00:00+00:00"
    previous.write_text(json.dumps({"machine": {}, "runs": [_run("prima", 1_000, at)]}))
    now = "2026-12-07T05:00:00+00:00"
    fresh = [_run("prima", 10_000, now), _run("khaos", 10_000, now)]

    runs = merged(fresh, previous)

    assert [(c["erp_system"], c["returns"]) for c in runs] == [("khaos", 10_000), ("prima", 10_000)]
    assert "measured separately" not in markdown({"machine": fresh[0]["machine"], "runs": runs})
    assert merged(fresh, tmp_path / "absent.json") == fresh
