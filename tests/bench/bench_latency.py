"""Latency from Loop's webhook to the ERP document, p50/p99, under load, and where it goes.

    python -m tests.bench.bench_latency   # BENCH_RETURNS=200 BENCH_CONCURRENCY=40
                                          # BENCH_UNLOADED_RETURNS=20

Full-lifecycle returns at BENCH_CONCURRENCY in flight. For each: the time the signed
return.created webhook left the sender, to the time (server clock, same machine) the activity
that created its return authorization in NetSuite completed. The same from the inspection
update to the credit memo shows the other automatic leg. A batch run one at a time first, on
the same stack after a warm-up return, gives each leg's floor, so the loaded figure splits
into work and waiting.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType

from tests.bench.critical_path import summary
from tests.bench.lifecycle import Run, document_at, profile, run_returns, uniform_stack
from tests.bench.report import machine, percentile, publish, table
from workers.timeline import PHASES, at, breakdown
from workflows.contracts import Act

RETURNS = int(os.environ.get("BENCH_RETURNS", "200"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "40"))
LIMIT = int(os.environ.get("BENCH_ERP_LIMIT", "15"))  # a premium (tier 1) account
UNLOADED_RETURNS = int(os.environ.get("BENCH_UNLOADED_RETURNS", "20"))
RA_LEG, CREDIT_LEG = "webhook_to_return_authorization", "inspection_to_credit_memo"
pytestmark = pytest.mark.bench


def inspection_accepted_at(events: list) -> float | None:
    for e in events:
        if (
            e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
            and e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
            == "record_inspection"
        ):
            return at(e)
    return None


def leg_windows(runs: list[Run], histories: dict[str, list]) -> dict[str, list[tuple]]:
    """Per leg, each return's (history, start, end) in epoch seconds, where both ends are known."""
    out: dict[str, list[tuple]] = {RA_LEG: [], CREDIT_LEG: []}
    for run in runs:
        events = histories[run.return_id]
        ra, accepted = document_at(events, Act.CREATE_RA), inspection_accepted_at(events)
        credit = document_at(events, Act.CREDIT)
        if ra is not None:
            out[RA_LEG].append((events, run.posted_at, ra))
        if accepted is not None and credit is not None:
            out[CREDIT_LEG].append((events, accepted, credit))
    return out


def legs(runs: list[Run], histories: dict[str, list]) -> dict[str, Any]:
    """Each leg's p50/p99 and where its time went, for one batch of returns."""
    out: dict[str, Any] = {"returns": len(runs)}
    for leg, windows in leg_windows(runs, histories).items():
        values = [(end - start) * 1000 for _, start, end in windows]
        out[leg] = {
            "n": len(values),
            "mean_ms": round(sum(values) / len(values), 1) if values else float("nan"),
            "p50_ms": round(percentile(values, 50), 1),
            "p99_ms": round(percentile(values, 99), 1),
            "phases": summary(breakdown(e, start, end) for e, start, end in windows),
        }
    return out


async def measure() -> dict[str, Any]:
    host = machine()
    orders = 1 + UNLOADED_RETURNS + RETURNS
    async with uniform_stack("bench-latency", orders, concurrency_limit=LIMIT) as stack:
        await run_returns(stack, 1, 1)  # the first run pays for the worker's imports: not a floor
        quiet, _ = await run_returns(stack, UNLOADED_RETURNS, 1)
        runs, seconds = await run_returns(stack, RETURNS, CONCURRENCY)
        _, histories = await profile(stack.client, [r.return_id for r in quiet + runs])
    loaded = legs(runs, histories)
    return {
        "machine": host,
        "returns": RETURNS,
        "concurrency": CONCURRENCY,
        "erp_concurrency_limit": LIMIT,
        "returns_per_s": round(RETURNS / seconds, 2),
        **loaded,
        "webhook_ack_p50_ms": round(percentile([r.ack_seconds * 1000 for r in runs], 50), 1),
        "webhook_ack_p99_ms": round(percentile([r.ack_seconds * 1000 for r in runs], 99), 1),
        "unloaded": legs(quiet, histories),
    }


def phases_table(f: dict[str, Any], leg: str) -> str:
    loaded, quiet = f[leg]["phases"], f["unloaded"][leg]["phases"]
    rows = []
    for phase in dict.fromkeys([*PHASES, *quiet, *loaded]):
        if phase in loaded or phase in quiet:
            one, many = quiet.get(phase, {}), loaded.get(phase, {})
            rows.append(
                [
                    phase,
                    one.get("mean_ms", 0.0),
                    f"{many.get('mean_ms', 0.0)} (p99 {many.get('p99_ms', 0.0)})",
                ]
            )
    q, u = f["unloaded"][leg], f[leg]
    rows.append(
        [
            "**the leg** (mean; p50 / p99)",
            f"{q['mean_ms']}; {q['p50_ms']} / {q['p99_ms']}",
            f"**{u['mean_ms']}**; {u['p50_ms']} / {u['p99_ms']}",
        ]
    )
    head = ["phase", "one at a time: mean ms", f"{f['concurrency']} in flight: mean ms"]
    return table(head, rows)


def legs_table(f: dict[str, Any]) -> str:
    quiet = f["unloaded"]
    rows = [
        [
            name,
            f"**{f[leg]['p50_ms']} ms**",
            f"**{f[leg]['p99_ms']} ms**",
            f"{quiet[leg]['p50_ms']} / {quiet[leg]['p99_ms']} ms",
        ]
        for name, leg in (
            ("webhook sent → RA created in the ERP", RA_LEG),
            ("inspection update accepted → credit memo created", CREDIT_LEG),
        )
    ]
    ack = [
        "webhook ack (same run)",
        f"{f['webhook_ack_p50_ms']} ms",
        f"{f['webhook_ack_p99_ms']} ms",
    ]
    return table(["leg", "p50", "p99", "one at a time: p50 / p99"], [*rows, [*ack, ""]])


def markdown(f: dict[str, Any]) -> str:
    return f"""
{f["returns"]} full-lifecycle returns, {f["concurrency"]} in flight ({f["returns_per_s"]}
returns/s), NetSuite sandbox limit {f["erp_concurrency_limit"]}, no added ERP latency; before
them, on the same stack, one warm-up return and then {f["unloaded"]["returns"]} one at a time.

{legs_table(f)}

The first leg covers the ingress, signal-with-start, validation against the ERP (order and
items) and the RA write; the second the receipt-free path from inspection through disposition
to the credit. Times are the server's history timestamps against the sender's clock (one host).

Where the time went (workers/timeline.py, which `returnflow timeline` shows for one return:
each instant of a leg goes to the first phase that applies, running before waiting, so a
column's means add up to its mean leg):

Webhook sent → RA created:

{phases_table(f, RA_LEG)}

Inspection accepted → credit memo created:

{phases_table(f, CREDIT_LEG)}
"""


def test_latency() -> None:
    figures = asyncio.run(measure())
    publish("bench_latency", "Webhook to ERP document latency", figures, markdown(figures))
    assert figures["webhook_to_return_authorization"]["n"] == figures["returns"]


if __name__ == "__main__":
    test_latency()
