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
from tests.bench.cpu import CpuMeter
from tests.bench.lifecycle import profile, run_returns, uniform_stack
from tests.bench.report import ROOT, machine, publish, table
from tests.drills.audit import audit_returns
from tests.drills.chaos import bounded
from tests.drills.processes import Service
from tests.drills.stack import Stack

RETURNS = int(os.environ.get("BENCH_RETURNS", "200"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "40"))
WARMUP = 5
BARE_QUEUE = "bench-bare"
pytestmark = pytest.mark.bench


def cpu_meter(stack: Stack, worker: Service) -> CpuMeter:
    """The processes a return (or a bare workflow) costs CPU in; this one, the driver, also runs
    the sandboxes and the ingress in the returnflow run."""
    return CpuMeter({"worker": worker.pid, "dev server": stack.server.pid, "driver": os.getpid()})


async def bare_seconds(
    stack: Stack, shape: str, n: int, concurrency: int
) -> tuple[float, dict[str, float]]:
    """Wall time for n bare workflows driven like returns (signal-with-start, then each update)
    and the CPU each process spent per workflow."""
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
        meter = cpu_meter(stack, worker)
        meter.start()
        started = time.monotonic()
        await bounded(list(range(n)), concurrency, one)
        seconds = time.monotonic() - started
        meter.stop()  # before the worker stops: a process that is gone has no CPU to read
        return seconds, meter.ms_per(n)
    finally:
        worker.stop()


async def measure(returns: int = RETURNS, concurrency: int = CONCURRENCY) -> dict[str, Any]:
    host = machine()
    async with uniform_stack("bench-overhead", returns + WARMUP, concurrency_limit=100) as stack:
        warm, _ = await run_returns(stack, WARMUP, WARMUP)
        assert stack.worker is not None
        meter = cpu_meter(stack, stack.worker)
        meter.start()
        runs, seconds = await run_returns(stack, returns, concurrency)
        meter.stop()
        ids = [r.return_id for r in runs]
        prof, _ = await profile(stack.client, ids)
        audit = await audit_returns(stack.loop, stack.netsuite, ids + [r.return_id for r in warm])
        bare, bare_cpu = await bare_seconds(stack, prof.shape, returns, concurrency)
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
        "cpu_ms_per_return": meter.ms_per(returns),
        "bare_cpu_ms_per_workflow": bare_cpu,
        "cores": os.cpu_count(),
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

{cpu_table(f)}

Where the events go (mean per return):

| event type | per return |
|---|---|
{rows}

Activities per return: {acts}.
"""


def cpu_table(f: dict[str, Any]) -> str:
    """CPU per return by process, and the rate each side would reach if CPU were the only limit."""
    ours, bare = f.get("cpu_ms_per_return"), f.get("bare_cpu_ms_per_workflow")
    if not ours or not bare:
        return ""
    parts = ["worker", "dev server", "driver"]
    rows = [[p, f"{ours[p]} ms", f"{bare[p]} ms"] for p in parts]
    total, bare_total = sum(ours.values()), sum(bare.values())
    own, bare_own = ours["worker"] + ours["dev server"], bare["worker"] + bare["dev server"]
    cores = f["cores"]
    rows += [
        ["all processes", f"**{total:.1f} ms**", f"**{bare_total:.1f} ms**"],
        [
            f"rate if CPU-bound on {cores} cores ({cores} x 1000 ms / all)",
            f"{cores * 1000 / total:.1f}/s",
            f"{cores * 1000 / bare_total:.1f}/s",
        ],
        ["worker + dev server only", f"{own:.1f} ms", f"{bare_own:.1f} ms"],
    ]
    return f"""CPU per return (user + system, read from /proc around the timed runs; the driver
process also runs the Loop and NetSuite sandboxes and the ingress in the returnflow run, and
only the sender in the bare run):

{table(["process", "returnflow", "bare workflow"], rows)}

The CPU ratio (bare ÷ returnflow over all processes) is {bare_total / total:.2f}; over the
worker and the dev server alone {bare_own / own:.2f}."""


def test_overhead() -> None:
    figures = asyncio.run(measure())
    publish("bench_overhead", "Orchestration overhead", figures, markdown(figures))
    assert figures["audit_findings"] == []


if __name__ == "__main__":
    test_overhead()
