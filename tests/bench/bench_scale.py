"""Scale of waiting: many returns open at the receipt gate; worker RSS and server disk per open
return, measured at checkpoints and extrapolated linearly to BENCH_TARGET (100k).

    python -m tests.bench.bench_scale   # BENCH_OPEN=2000 BENCH_STEP=500 BENCH_BUDGET_S=480

Returns are parked through the public path (signed webhook, validation, RA) until BENCH_OPEN
are open or the time budget is spent; the largest size reached is what is reported. The worker
keeps at most RETURNFLOW_MAX_CACHED_WORKFLOWS in memory, so its RSS is also measured after a
restart with every return still open.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from tests.bench.report import machine, publish
from tests.drills.chaos import create_returns, deliver_created
from tests.drills.stack import Stack, open_stack
from workers.settings import Settings
from workflows.search import RETURN_STATE

OPEN = int(os.environ.get("BENCH_OPEN", "2000"))
STEP = int(os.environ.get("BENCH_STEP", "500"))
BUDGET = float(os.environ.get("BENCH_BUDGET_S", "480"))
TARGET = int(os.environ.get("BENCH_TARGET", "100000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "50"))
MB = 1024 * 1024
pytestmark = pytest.mark.bench


def snapshot(stack: Stack, open_returns: int, started: float) -> dict[str, Any]:
    assert stack.worker is not None
    return {
        "open": open_returns,
        "worker_rss_mb": round(stack.worker.rss_bytes() / MB, 1),
        "server_disk_mb": round(stack.server.disk_bytes() / MB, 2),
        "server_rss_mb": round(stack.server.rss_bytes() / MB, 1),
        "elapsed_s": round(time.monotonic() - started, 1),
    }


PARKED = 'ExecutionStatus="Running" AND ReturnState="authorized"'
STALL_S = 120.0


async def park_batch(stack: Stack, n: int, parked_before: int) -> None:
    """Deliver `n` return.created webhooks, then wait until visibility counts them at the gate.

    Waiting on one count instead of querying each return keeps the bench's own load off the
    worker and server, and a return queried before its first workflow task has run no longer
    idles for the drive loop's back-off: the old per-return wait parked at about half the rate.
    """
    await deliver_created(stack, await create_returns(stack, n), CONCURRENCY)
    await wait_parked(stack, parked_before + n)


async def wait_parked(stack: Stack, expected: int) -> None:
    """Until `expected` returns wait at the gate; a stall of STALL_S fails with what is stuck."""
    best, progressed = -1, time.monotonic()
    while True:
        count = (await stack.client.count_workflows(PARKED)).count
        if count >= expected:
            return
        if count > best:
            best, progressed = count, time.monotonic()
        elif time.monotonic() - progressed > STALL_S:
            stuck = [
                f"{w.id}: {w.typed_search_attributes.get(RETURN_STATE)}"
                async for w in stack.client.list_workflows(
                    'ExecutionStatus="Running" AND ReturnState!="authorized"', limit=5
                )
            ]
            raise RuntimeError(f"{count}/{expected} parked, none more in {STALL_S:.0f} s: {stuck}")
        await asyncio.sleep(1)


def slope(points: list[dict[str, Any]], key: str) -> float:
    """Least-squares growth of `key` per open return."""
    xs = [p["open"] for p in points]
    ys = [p[key] for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


async def measure() -> dict[str, Any]:
    host = machine()
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        async with open_stack(Path(tmp), orders=OPEN, concurrency_limit=100) as stack:
            await asyncio.sleep(3)
            started = time.monotonic()
            points = [snapshot(stack, 0, started)]
            parked = 0
            while parked < OPEN and time.monotonic() - started < BUDGET:
                batch = min(STEP, OPEN - parked)
                await park_batch(stack, batch, parked)
                parked += batch
                points.append(snapshot(stack, parked, started))
                print(points[-1], flush=True)
            stack.restart_worker()
            await asyncio.sleep(5)
            after_restart = snapshot(stack, parked, started)
    disk_per = slope(points, "server_disk_mb") * MB
    rss_per = slope(points, "worker_rss_mb") * MB
    base = points[0]
    return {
        "machine": host,
        "open_reached": parked,
        "open_asked": OPEN,
        "budget_s": BUDGET,
        "points": points,
        "worker_rss_after_restart_mb": after_restart["worker_rss_mb"],
        "server_disk_bytes_per_open_return": round(disk_per),
        "worker_rss_bytes_per_open_return": round(rss_per),
        "server_rss_bytes_per_open_return": round(slope(points, "server_rss_mb") * MB),
        "target": TARGET,
        "max_cached_workflows": Settings().max_cached_workflows,
        "extrapolated_server_disk_gb": round(
            (base["server_disk_mb"] * MB + disk_per * TARGET) / 1024**3, 2
        ),
        "parking_rate_per_s": round(parked / points[-1]["elapsed_s"], 2),
        "extrapolated_hours_to_park_target": round(
            TARGET / (parked / points[-1]["elapsed_s"]) / 3600, 1
        ),
    }


def markdown(f: dict[str, Any]) -> str:
    peak = max(p["worker_rss_mb"] for p in f["points"])
    base = f["points"][0]["worker_rss_mb"]
    cache = f["max_cached_workflows"]
    cache_under_target = int(cache * (500 - base) / (peak - base)) if peak > base else cache
    verdict = (
        f": met with a cache of {cache:,}."
        if peak < 500
        else f": not met with a cache of {cache:,}; a cache of about "
        f"{cache_under_target} workflows (or more workers) keeps a worker under it."
    )
    rows = "\n".join(
        f"| {p['open']} | {p['worker_rss_mb']} | {p['server_disk_mb']} | "
        f"{p.get('server_rss_mb', '-')} | {p['elapsed_s']} |"
        for p in f["points"]
    )
    return f"""
Returns parked at the receipt gate through the public path (signed webhook → validate → RA),
{f["open_reached"]} reached of {f["open_asked"]} asked within the {f["budget_s"]:.0f} s budget
({f["parking_rate_per_s"]} returns/s: {f["target"]:,} would take ≈
{f["extrapolated_hours_to_park_target"]} h here, so the target size is extrapolated, not run).

| open returns | worker RSS (MB) | server disk (MB) | dev server RSS (MB) | elapsed (s) |
|---|---|---|---|---|
{rows}

Per open return: server disk **{f["server_disk_bytes_per_open_return"]:,} bytes**; extrapolated
to {f["target"]:,} open returns ≈ **{f["extrapolated_server_disk_gb"]} GB** on the server.
The dev server's own memory grew by {f.get("server_rss_bytes_per_open_return", 0):,} bytes per
open return (least squares over the checkpoints).
Worker RSS is not a cost per open return: a waiting return is only history on the server, and a
restarted worker with all {f["open_reached"]} still open holds
**{f["worker_rss_after_restart_mb"]} MB**. It grows with the workflows the worker keeps cached
(`RETURNFLOW_MAX_CACHED_WORKFLOWS`, {f["max_cached_workflows"]:,} in this run, each with its
own sandboxed copy of the workflow modules) and levels off once the cache is full: peak
**{peak} MB** here against the 500 MB target{verdict}
"""


def test_scale_of_waiting() -> None:
    figures = asyncio.run(measure())
    publish("bench_scale", "Scale of waiting", figures, markdown(figures))
    assert figures["open_reached"] > 0


if __name__ == "__main__":
    test_scale_of_waiting()
