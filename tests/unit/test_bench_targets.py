"""The targets table in docs/performance.md: each verdict follows its figures across the line."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.bench import targets
from tests.bench.report import JSON_DIR, replace_section

RECORDED = {name: json.loads((JSON_DIR / f"{name}.json").read_text()) for name in targets.BENCHES}


def _verdicts(name: str, figures: dict[str, Any]) -> list[str]:
    return [row.verdict for row in targets.BENCHES[name](figures)]


def _figures(name: str) -> dict[str, Any]:
    return copy.deepcopy(RECORDED[name])


def test_overhead_is_judged_on_ratio_rate_and_history_size() -> None:
    f = _figures("bench_overhead")
    f.update(ratio=0.8, returnflow_returns_per_s=20.0)
    f["history_events_per_return"] = {"mean": 150.0, "max": 150}
    assert _verdicts("bench_overhead", f) == [targets.MET] * 3
    f.update(ratio=0.79, returnflow_returns_per_s=19.9)
    f["history_events_per_return"] = {"mean": 140.0, "max": 151}
    assert _verdicts("bench_overhead", f) == [targets.NOT_MET] * 3


def test_overhead_says_how_far_apart_its_rounds_were() -> None:
    f = _figures("bench_overhead")
    f["rounds"] = [{"ratio": 0.61}, {"ratio": 0.55}, {"ratio": 0.42}]
    f.update(ratio=0.55)
    measured = targets.BENCHES["bench_overhead"](f)[0].measured
    assert measured.endswith("; median of 3 rounds, 0.42x to 0.61x)")


def test_erp_ceiling_needs_every_latency_at_90_percent_and_no_failed_return() -> None:
    f = _figures("bench_erp_ceiling")
    for run in f["runs"]:
        run.update(fraction_of_ceiling=0.95, returns_failed=0, governance_429s=3)
    assert _verdicts("bench_erp_ceiling", f) == [targets.MET, targets.MET]
    f["runs"][0]["fraction_of_ceiling"] = 0.89
    f["runs"][-1]["returns_failed"] = 1
    assert _verdicts("bench_erp_ceiling", f) == [targets.NOT_MET, targets.NOT_MET]
    f["runs"][0]["fraction_of_ceiling"] = 0.95
    f["runs"][0]["limit_read_by_adapter"] = f["runs"][0]["concurrency_limit"] + 1
    assert _verdicts("bench_erp_ceiling", f)[0] == targets.NOT_MET


def test_ingress_takes_the_best_mode_at_200_per_s_and_needs_a_busy_worker() -> None:
    f = _figures("bench_ingress")
    for mode in f["modes"].values():
        for r in mode["rates"]:
            r.update(ack_p99_ms=80.0, statuses={"202": 10}, worker_busy_throughout=True)
    assert _verdicts("bench_ingress", f) == [f"{targets.NOT_MET} in this one run"]
    best = next(r for r in f["modes"]["store"]["rates"] if r["rate_per_s"] == 200.0)
    best["ack_p99_ms"] = 49.9
    row = targets.ingress(f)[0]
    assert row.verdict == f"{targets.MET} in this one run" and "(store)" in row.measured
    best["statuses"] = {"202": 9, "503": 1}
    assert _verdicts("bench_ingress", f) == [f"{targets.NOT_MET} in this one run"]
    best["statuses"] = {"202": 10}
    best["worker_busy_throughout"] = False
    assert "not comparable" in _verdicts("bench_ingress", f)[0]
    for mode in f["modes"].values():
        mode["rates"] = [r for r in mode["rates"] if r["rate_per_s"] != 200.0]
    assert _verdicts("bench_ingress", f) == [targets.MISSING]


def test_latency_quotes_the_one_at_a_time_floor_only_when_the_run_had_one() -> None:
    f = _figures("bench_latency")
    f.pop("unloaded", None)
    assert "one at a time" not in targets.latency(f)[0].measured
    leg = {"p50_ms": 111.6, "p99_ms": 150.0}
    f["unloaded"] = {"webhook_to_return_authorization": leg, "inspection_to_credit_memo": leg}
    row = targets.latency(f)[0]
    assert row.measured.endswith("one at a time p50 112 and 112 ms")
    assert row.verdict == targets.REPORTED  # the issue sets no number for this one


def test_scale_is_met_only_at_full_size_and_under_500_mb() -> None:
    f = _figures("bench_scale")
    for p in f["points"]:
        p["worker_rss_mb"] = min(p["worker_rss_mb"], 499.0)
    f["open_reached"] = 100_000
    assert _verdicts("bench_scale", f) == [targets.MET]
    f["open_reached"] = 99_999
    assert _verdicts("bench_scale", f)[0].startswith(targets.PARTLY)
    f["points"][-1]["worker_rss_mb"] = 500.0
    assert _verdicts("bench_scale", f) == [targets.NOT_MET]


def test_drills_fail_on_any_finding_and_are_partial_below_size() -> None:
    f = _figures("bench_drills")
    f["chaos"].update(returns=10_000, clean=True, did_not_finish=0, findings=[])
    f["redelivery"].update(end_states_differing=0, audit_findings=[])
    f["fuzz"].update(cases=10_000, findings=[], statuses={"202": 5, "401": 5})
    assert _verdicts("bench_drills", f) == [targets.MET] * 3
    f["chaos"]["returns"] = 20
    f["fuzz"]["cases"] = 300
    chaos, _, fuzz = _verdicts("bench_drills", f)
    assert chaos.startswith(targets.PARTLY) and fuzz.startswith(targets.PARTLY)
    f["chaos"]["did_not_finish"] = 1
    f["redelivery"]["end_states_differing"] = 2
    f["fuzz"]["statuses"]["500"] = 1
    assert _verdicts("bench_drills", f) == [targets.NOT_MET] * 3


def test_uk_erp_drills_need_every_erp_clean_and_at_size() -> None:
    f = _figures("bench_erp_drills")
    for run in f["runs"]:
        run.update(returns=10_000, did_not_finish=0, findings=[], clean=True)
    assert _verdicts("bench_erp_drills", f) == [targets.MET]
    f["runs"][-1]["returns"] = 9_999
    assert _verdicts("bench_erp_drills", f) == [f"{targets.PARTLY}: clean below size"]
    f["runs"][0].update(findings=["r1: ERP documents {'Return': 2}"], clean=False)
    assert _verdicts("bench_erp_drills", f) == [targets.NOT_MET]


def test_the_postgresql_drill_counts_the_store_trail_and_needs_size() -> None:
    f = _figures("bench_store_drills")
    f["chaos"].update(returns=10_000, did_not_finish=0, findings=[], clean=True, store_findings=0)
    assert _verdicts("bench_store_drills", f) == [targets.MET]
    f["chaos"]["returns"] = 300
    assert _verdicts("bench_store_drills", f) == [f"{targets.PARTLY}: clean below size"]
    f["chaos"].update(findings=["r1: audit seqs [1, 3]"], clean=False, store_findings=1)
    assert _verdicts("bench_store_drills", f) == [targets.NOT_MET]
    assert "(1 in the store's trail)" in targets.BENCHES["bench_store_drills"](f)[0].measured


def test_a_missing_benchmark_is_shown_as_not_measured(tmp_path: Path) -> None:
    (tmp_path / "bench_latency.json").write_text(json.dumps(RECORDED["bench_latency"]))
    found = targets.rows(tmp_path)
    assert [r.verdict for r in found].count(targets.REPORTED) == 1
    assert [r.verdict for r in found].count(targets.MISSING) == len(targets.BENCHES) - 1


@pytest.mark.parametrize("present", [True, False])
def test_the_section_replaces_only_its_own_markers(tmp_path: Path, present: bool) -> None:
    doc = tmp_path / "performance.md"
    markers = (
        "<!-- bench_targets:start -->\nSTALE-TABLE\n<!-- bench_targets:end -->\n" if present else ""
    )
    doc.write_text(f"# Performance\n\nbefore\n\n{markers}\nafter\n")
    replace_section("bench_targets", targets.markdown(targets.rows()), doc)
    text = doc.read_text()
    assert text.count("<!-- bench_targets:start -->") == 1 and "STALE-TABLE" not in text
    assert "before" in text and "after" in text and "| target (issue 9) |" in text


def test_a_chaos_run_names_the_outcomes_it_asked_for() -> None:
    f = _figures("bench_erp_drills")
    f["runs"][0]["outcomes"] = {"refund": 6_000, "exchange": 2_000, "store_credit": 2_000}
    measured = targets.BENCHES["bench_erp_drills"](f)[0].measured
    assert "returns (6,000 refund, 2,000 exchange, 2,000 store credit)" in measured
    del f["runs"][0]["outcomes"]
    assert "returns (all refunds)" in targets.BENCHES["bench_erp_drills"](f)[0].measured
