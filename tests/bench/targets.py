"""Issue 9's targets against the latest recorded figures, as one table at the top of
docs/performance.md. Built from docs/bench/*.json, never typed by hand, so the verdicts cannot
drift from the runs they summarise.

    python -m tests.bench.targets   # after any benchmark; `make bench` runs it last
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.bench.report import JSON_DIR, replace_section, table

MET, NOT_MET, PARTLY, REPORTED, MISSING = "met", "**not met**", "partly", "reported", "not measured"
INGRESS_RATE = 200.0
SCALE_TARGET = 100_000
DRILL_SIZE = 10_000
FUZZ_CASES = 10_000
ERP_NAMES = {"netsuite": "NetSuite", "khaos": "Khaos Control", "prima": "Prima"}


@dataclass(frozen=True)
class Row:
    target: str
    measured: str
    verdict: str
    source: str


Figures = dict[str, Any]


def _when(f: Figures, name: str) -> str:
    m = f.get("machine", {})
    day = str(m.get("measured_at", "?"))[:10]
    return f"{name}, {day}, load {m.get('load_average_1m_at_start')}"


def overhead(f: Figures) -> list[Row]:
    src = _when(f, "bench_overhead")
    rate, ratio = f["returnflow_returns_per_s"], f["ratio"]
    events = f["history_events_per_return"]
    rounds = [r["ratio"] for r in f.get("rounds", [])]
    spread = (
        f"; median of {len(rounds)} rounds, {min(rounds):.2f}x to {max(rounds):.2f}x"
        if len(rounds) > 1
        else ""
    )
    return [
        Row(
            "returnflow ≥ 0.8x a bare workflow of the same shape",
            f"{ratio:.2f}x ({rate}/s against {f['bare_workflows_per_s']}/s{spread})",
            MET if ratio >= 0.8 else NOT_MET,
            src,
        ),
        Row(
            "≥ 20 full-lifecycle returns/s on 2 cores",
            f"{rate}/s on {f['cores']} cores",
            MET if rate >= 20 else NOT_MET,
            src,
        ),
        Row(
            "≤ 150 history events per return",
            f"mean {events['mean']}, max {events['max']}",
            MET if events["max"] <= 150 else NOT_MET,
            src,
        ),
    ]


def erp_ceiling(f: Figures) -> list[Row]:
    runs = f["runs"]
    worst = min(r["fraction_of_ceiling"] for r in runs)
    limits_read = all(r["limit_read_by_adapter"] == r["concurrency_limit"] for r in runs)
    shares = ", ".join(f"{r['fraction_of_ceiling']:.0%} at {r['latency_ms']:.0f} ms" for r in runs)
    too_many = sum(r["governance_429s"] for r in runs)
    failed = sum(r["returns_failed"] for r in runs)
    src = _when(f, "bench_erp_ceiling")
    return [
        Row(
            "sustained ERP calls/s ≥ 90% of limit ÷ latency (limit read from governanceLimits)",
            shares + ("" if limits_read else "; the adapter read a different limit"),
            MET if worst >= 0.9 and limits_read else NOT_MET,
            src,
        ),
        Row(
            "0 returns failed by 429s",
            f"{failed} failed, {too_many} 429s seen",
            MET if failed == 0 else NOT_MET,
            src,
        ),
    ]


def ingress(f: Figures) -> list[Row]:
    at_rate = {
        mode: r
        for mode, m in f["modes"].items()
        for r in m["rates"]
        if r["rate_per_s"] == INGRESS_RATE
    }
    src = _when(f, "bench_ingress")
    target = f"webhook ack p99 < 50 ms at {INGRESS_RATE:.0f}/s, worker busy"
    if not at_rate:
        return [Row(target, f"no run at {INGRESS_RATE:.0f}/s", MISSING, src)]
    mode, best = min(at_rate.items(), key=lambda kv: kv[1]["ack_p99_ms"] or float("inf"))
    answered = all(s.startswith("2") for s in best["statuses"])
    ok = best["ack_p99_ms"] is not None and best["ack_p99_ms"] < 50 and answered
    busy = best["worker_busy_throughout"]
    measured = f"p99 {best['ack_p99_ms']} ms, p50 {best['ack_p50_ms']} ms ({mode}); " + ", ".join(
        f"{m} {r['ack_p99_ms']} ms" for m, r in at_rate.items() if m != mode
    )
    verdict = (MET if ok else NOT_MET) if busy else "not comparable: the worker went idle"
    return [Row(target, measured, f"{verdict} in this one run" if busy else verdict, src)]


def scale(f: Figures) -> list[Row]:
    peak = max(p["worker_rss_mb"] for p in f["points"])
    reached = f["open_reached"]
    src = _when(f, "bench_scale")
    rss_ok = peak < 500
    return [
        Row(
            f"{SCALE_TARGET:,} returns open at gates, worker RSS < 500 MB",
            f"{reached:,} open: RSS peak {peak} MB (cache {f['max_cached_workflows']}), "
            f"{f['server_disk_bytes_per_open_return']:,} B of server disk per open return "
            f"(≈ {f['extrapolated_server_disk_gb']} GB at {SCALE_TARGET:,})",
            (MET if reached >= SCALE_TARGET else f"{PARTLY}: RSS met, size not run")
            if rss_ok
            else NOT_MET,
            src,
        )
    ]


def latency(f: Figures) -> list[Row]:
    ra, credit = f["webhook_to_return_authorization"], f["inspection_to_credit_memo"]
    quiet = f.get("unloaded")  # runs before 2026-12-07 had no one-at-a-time batch
    floor = (
        f"; one at a time p50 {quiet['webhook_to_return_authorization']['p50_ms']:.0f} and "
        f"{quiet['inspection_to_credit_memo']['p50_ms']:.0f} ms"
        if quiet
        else ""
    )
    return [
        Row(
            "webhook → ERP document p50/p99 under load (no number set)",
            f"webhook → RA {ra['p50_ms']:.0f}/{ra['p99_ms']:.0f} ms, inspection → credit memo "
            f"{credit['p50_ms']:.0f}/{credit['p99_ms']:.0f} ms at {f['returns_per_s']}/s{floor}",
            REPORTED,
            _when(f, "bench_latency"),
        )
    ]


def mix(c: Figures) -> str:
    """The outcomes a chaos run asked for; runs before 2026-12-07 were all refunds."""
    outcomes = c.get("outcomes")
    if not outcomes:
        return " (all refunds)"
    return " (" + ", ".join(f"{n:,} {o.replace('_', ' ')}" for o, n in outcomes.items()) + ")"


def _chaos_verdict(runs: list[Figures]) -> str:
    """Met when every run is clean at the issue's size; clean but smaller is only partly."""
    if not all(c["clean"] and not c["did_not_finish"] and not c["findings"] for c in runs):
        return NOT_MET
    return MET if all(c["returns"] >= DRILL_SIZE for c in runs) else f"{PARTLY}: clean below size"


def drills(f: Figures) -> list[Row]:
    chaos, redelivery, fuzz = f["chaos"], f["redelivery"], f["fuzz"]
    kills = sum("SIGKILL" in d for d in chaos["disruptions"])
    restarts = sum("server" in d for d in chaos["disruptions"])
    src = _when(f, "bench_drills")
    server_errors = sum(n for s, n in fuzz["statuses"].items() if s.startswith("5"))
    return [
        Row(
            f"{DRILL_SIZE:,} returns through worker SIGKILLs, server restarts and 20% ERP faults: "
            "exact audit",
            f"{chaos['returns']:,} returns{mix(chaos)}, {kills} SIGKILLs, "
            f"{restarts} server restarts, "
            f"{sum(chaos['erp_faults_injected'].values()):,} ERP faults; "
            f"{chaos['did_not_finish']} unfinished, {len(chaos['findings'])} audit findings",
            _chaos_verdict([chaos]),
            src,
        ),
        Row(
            "every webhook 3 times, shuffled: same end state as a clean run",
            f"{redelivery['deliveries_shuffled']} deliveries, "
            f"{redelivery['end_states_differing']} end states differing, "
            f"{len(redelivery['audit_findings'])} audit findings",
            MET
            if not redelivery["end_states_differing"] and not redelivery["audit_findings"]
            else NOT_MET,
            src,
        ),
        Row(
            f"{FUZZ_CASES:,} generated bodies and headers: 0 bad signatures accepted, 0 5xx, "
            "nothing signed and valid lost",
            f"{fuzz['cases']:,} cases, {server_errors} 5xx, {len(fuzz['findings'])} findings",
            (MET if fuzz["cases"] >= FUZZ_CASES else f"{PARTLY}: clean below size")
            if not fuzz["findings"] and not server_errors
            else NOT_MET,
            src,
        ),
    ]


def erp_drills(f: Figures) -> list[Row]:
    runs = f["runs"]
    each = "; ".join(
        f"{ERP_NAMES.get(c['erp_system'], c['erp_system'])} {c['returns']:,} returns{mix(c)}, "
        f"{c['did_not_finish']} unfinished, {len(c['findings'])} audit findings"
        for c in runs
    )
    return [
        Row(
            "the same chaos drill on Khaos Control and Prima (beyond the issue's list): "
            "exact audit",
            each,
            _chaos_verdict(runs),
            _when(f, "bench_erp_drills"),
        )
    ]


def store_drills(f: Figures) -> list[Row]:
    c = f["chaos"]
    erp = ERP_NAMES.get(c["erp_system"], c["erp_system"])
    return [
        Row(
            "the same chaos drill with the store on PostgreSQL (beyond the issue's list): exact "
            "audit, the store's trail included",
            f"{c['returns']:,} returns{mix(c)} on {erp}, "
            f"{sum('SIGKILL' in d for d in c['disruptions'])} SIGKILLs; {c['did_not_finish']} "
            f"unfinished, {len(c['findings'])} audit findings "
            f"({c.get('store_findings', '?')} in the store's trail)",
            _chaos_verdict([c]),
            _when(f, "bench_store_drills"),
        )
    ]


BENCHES: dict[str, Callable[[Figures], list[Row]]] = {
    "bench_overhead": overhead,
    "bench_erp_ceiling": erp_ceiling,
    "bench_ingress": ingress,
    "bench_scale": scale,
    "bench_latency": latency,
    "bench_drills": drills,
    "bench_erp_drills": erp_drills,
    "bench_store_drills": store_drills,
}


def rows(json_dir: Path = JSON_DIR) -> list[Row]:
    out: list[Row] = []
    for name, judge in BENCHES.items():
        path = json_dir / f"{name}.json"
        if path.exists():
            out.extend(judge(json.loads(path.read_text())))
        else:
            out.append(Row(f"(tests/bench/{name}.py)", "no figures recorded", MISSING, name))
    return out


def markdown(found: list[Row]) -> str:
    body = table(
        ["target (issue 9)", "latest figures", "verdict", "from (run, date, 1-min load)"],
        [[r.target, r.measured, r.verdict, r.source] for r in found],
    )
    return (
        "## Targets at a glance (tests/bench/targets.py)\n\n"
        "Each row is judged from the latest `docs/bench/<name>.json`; the sections below hold the "
        "runs and the findings say what a single run can and cannot show (the machine is "
        "shared: see the load).\n\n" + body
    )


def main() -> None:
    found = rows()
    text = markdown(found)
    print(text)
    replace_section("bench_targets", text)


if __name__ == "__main__":
    main()
