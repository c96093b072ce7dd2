"""Orchestration overhead: full-lifecycle returns/s through returnflow vs a bare workflow with the
same activities, local activities and updates, on the same dev server in the same run; and
history events per return, by event type.

    python -m tests.bench.bench_overhead          # BENCH_RETURNS=200 BENCH_CONCURRENCY=40

Both workers are their own OS processes with default Worker settings. The ERP sandbox's
concurrency limit is raised out of the way (the ERP ceiling has its own benchmark).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import Any

import pytest

from tests.bench.bare import UPDATE, BareWorkflow
from tests.bench.lifecycle import profile, run_returns, uniform_stack
from tests.bench.report import ROOT, machine, publish
from tests.drills.audit import audit_returns
from tests.drills.chaos import bounded
from tests.drills.processes import Service
from tests.drills.stack import Stack

RETURNS = int(os.environ.get("BENCH_RETURNS", "200"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "40"))
WARMUP = 5
BARE_QUEUE = "bench-bare"
pytestmark = pytest.mark.bench


async def bare_seconds(stack: Stack, shape: str, n: int, concurrency: int) -> float:
    """Wall time for n bare workflows driven like returns: signal-with-start, then each update."""
    worker = Service(
        "bare-worker",
        [sys.executable, "-m", "tests.bench.bare", stack.server.address, BARE_QUEUE],
        stack.data_dir / "bare-worker.log",
        {"PYTHONPATH": str(ROOT)},
    )
    worker.start()
    updates = shape.count(UPDATE)

    async def one(i: int) -> None:
        handle = await stack.client.start_workflow(
            BareWorkflow.run,
            shape,
            id=f"bare-{i}",
            task_queue=BARE_QUEUE,
            start_signal="event",
            start_signal_args=["{}"],
        )
        for _ in range(updates):
            await handle.execute_update("step", "gate", result_type=int)
        await handle.result()

    try:
        await bounded(list(range(-WARMUP, 0)), WARMUP, one)
        started = time.monotonic()
        await bounded(list(range(n)), concurrency, one)
        return time.monotonic() - started
    finally:
        worker.stop()


async def measure(returns: int = RETURNS, concurrency: int = CONCURRENCY) -> dict[str, Any]:
    host = machine()
    async with uniform_stack("bench-overhead", returns + WARMUP, concurrency_limit=100) as stack:
        warm, _ = await run_returns(stack, WARMUP, WARMUP)
        runs, seconds = await run_returns(stack, returns, concurrency)
        ids = [r.return_id for r in runs]
        prof, _ = await profile(stack.client, ids)
        audit = await audit_returns(stack.loop, stack.netsuite, ids + [r.return_id for r in warm])
        bare = await bare_seconds(stack, prof.shape, returns, concurrency)
    rate, bare_rate = returns / seconds, returns / bare
    return {
        "machine": host,
        "returns": returns,
        "concurrency": concurrency,
        "returnflow_seconds": round(seconds, 2),
        "returnflow_returns_per_s": round(rate, 2),
        "bare_seconds": round(bare, 2),
        "bare_workflows_per_s": round(bare_rate, 2),
        "ratio": round(rate / bare_rate, 3),
        "bare_shape": prof.shape,
        "history_events_per_return": {"mean": prof.events_mean, "max": prof.events_max},
        "events_by_type": prof.by_type,
        "activities_per_return": prof.activities,
        "audit_findings": audit.findings[:10],
    }


def markdown(f: dict[str, Any]) -> str:
    rows = "\n".join(f"| {k} | {v} |" for k, v in f["events_by_type"].items())
    acts = ", ".join(f"{k} {v}" for k, v in f["activities_per_return"].items())
    shape = f["bare_shape"]
    return f"""
{f["returns"]} full-lifecycle returns (webhook → validate → RA → receipt update → inspection
update → credit → refund → Loop → closed), {f["concurrency"]} in flight, against a bare workflow
with the same {shape.count("a")} activities, {shape.count("l")} local activities and
{shape.count("u")} updates in the same order (`{shape}`), on the same dev server.

| | returns/s | wall time |
|---|---|---|
| returnflow | **{f["returnflow_returns_per_s"]}** | {f["returnflow_seconds"]} s |
| bare workflow | {f["bare_workflows_per_s"]} | {f["bare_seconds"]} s |
| ratio | **{f["ratio"]}x** (target ≥ 0.8x) | |

Targets: ≥ 0.8x bare and ≥ 20 returns/s on 2 cores. History events per return: mean
**{f["history_events_per_return"]["mean"]}**, max {f["history_events_per_return"]["max"]}
(target ≤ 150). Audit findings: {len(f["audit_findings"])}.

Where the events go (mean per return):

| event type | per return |
|---|---|
{rows}

Activities per return: {acts}.
"""


def test_overhead() -> None:
    figures = asyncio.run(measure())
    publish("bench_overhead", "Orchestration overhead", figures, markdown(figures))
    assert figures["audit_findings"] == []


if __name__ == "__main__":
    test_overhead()
