"""Latency from Loop's webhook to the ERP document, p50/p99, under load.

    python -m tests.bench.bench_latency   # BENCH_RETURNS=200 BENCH_CONCURRENCY=40

Full-lifecycle returns at BENCH_CONCURRENCY in flight. For each: the time the signed
return.created webhook left the sender, to the time (server clock, same machine) the activity
that created its return authorization in NetSuite completed. The same from the inspection
update to the credit memo shows the other automatic leg.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType

from tests.bench.lifecycle import (
    _epoch,
    document_at,
    latencies,
    profile,
    run_returns,
    uniform_stack,
)
from tests.bench.report import machine, percentile, publish
from workflows.contracts import Act

RETURNS = int(os.environ.get("BENCH_RETURNS", "200"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "40"))
LIMIT = int(os.environ.get("BENCH_ERP_LIMIT", "15"))  # a premium (tier 1) account
pytestmark = pytest.mark.bench


def inspection_to_credit(histories: dict[str, list]) -> dict[str, float]:
    values = []
    for events in histories.values():
        accepted = [
            _epoch(e)
            for e in events
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
            and e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
            == "record_inspection"
        ]
        credit = document_at(events, Act.CREDIT)
        if accepted and credit:
            values.append((credit - accepted[0]) * 1000)
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50), 1),
        "p99_ms": round(percentile(values, 99), 1),
    }


async def measure() -> dict[str, Any]:
    host = machine()
    async with uniform_stack("bench-latency", RETURNS, concurrency_limit=LIMIT) as stack:
        runs, seconds = await run_returns(stack, RETURNS, CONCURRENCY)
        _, histories = await profile(stack.client, [r.return_id for r in runs])
    return {
        "machine": host,
        "returns": RETURNS,
        "concurrency": CONCURRENCY,
        "erp_concurrency_limit": LIMIT,
        "returns_per_s": round(RETURNS / seconds, 2),
        "webhook_to_return_authorization": latencies(runs, histories, Act.CREATE_RA),
        "inspection_to_credit_memo": inspection_to_credit(histories),
        "webhook_ack_p50_ms": round(percentile([r.ack_seconds * 1000 for r in runs], 50), 1),
        "webhook_ack_p99_ms": round(percentile([r.ack_seconds * 1000 for r in runs], 99), 1),
    }


def markdown(f: dict[str, Any]) -> str:
    ra, cm = f["webhook_to_return_authorization"], f["inspection_to_credit_memo"]
    return f"""
{f["returns"]} full-lifecycle returns, {f["concurrency"]} in flight ({f["returns_per_s"]}
returns/s), NetSuite sandbox limit {f["erp_concurrency_limit"]}, no added ERP latency.

| leg | p50 | p99 |
|---|---|---|
| webhook sent → RA created in the ERP | **{ra["p50_ms"]} ms** | **{ra["p99_ms"]} ms** |
| inspection update accepted → credit memo created | {cm["p50_ms"]} ms | {cm["p99_ms"]} ms |
| webhook ack (same run) | {f["webhook_ack_p50_ms"]} ms | {f["webhook_ack_p99_ms"]} ms |

The first leg covers the ingress, signal-with-start, validation against the ERP (order and
items) and the RA write; the second the receipt-free path from inspection through disposition
to the credit. Times are the server's history timestamps against the sender's clock (one host).
"""


def test_latency() -> None:
    figures = asyncio.run(measure())
    publish("bench_latency", "Webhook to ERP document latency", figures, markdown(figures))
    assert figures["webhook_to_return_authorization"]["n"] == figures["returns"]


if __name__ == "__main__":
    test_latency()
