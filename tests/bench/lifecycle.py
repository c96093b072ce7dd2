"""Full-lifecycle returns through the public paths, timed, and what their histories say.

A return: created in Loop, its signed return.created webhook posted to the ingress, then its
gates answered through workers/ops.py until it closes. Times from the histories are the
server's, on the same machine as the sender's clock.

BENCH_POLL (seconds, default 0.2) is how often the driver asks a return's status query to see
which gate it waits at. It was suspected of inflating returnflow's cost against the bare
workflow (which is driven by updates alone); 2.0 against 0.2 moved neither CPU per return nor
returns/s (docs/performance.md), so the default stays.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

from tests.bench.bare import shape_of
from tests.drills.chaos import bounded, create_returns
from tests.drills.courier import Courier, created_body
from tests.drills.drive import drive_to
from tests.drills.stack import Stack, open_stack
from workers.ingress import workflow_id
from workers.timeline import at
from workflows.contracts import Act


@asynccontextmanager
async def uniform_stack(name: str, orders: int, **options: Any) -> AsyncIterator[Stack]:
    """A throwaway stack where every return has the same shape (no approval gate)."""
    with tempfile.TemporaryDirectory(prefix=f"{name}-") as tmp:
        async with open_stack(
            Path(tmp), orders=orders, auto_approve_below=Decimal(1_000_000), **options
        ) as stack:
            yield stack


POLL = float(os.environ.get("BENCH_POLL", "0.2"))


@dataclass
class Run:
    return_id: str
    posted_at: float  # epoch seconds, just before the webhook was sent
    ack_seconds: float
    closed_at: float = 0.0


async def run_returns(stack: Stack, n: int, concurrency: int) -> tuple[list[Run], float]:
    """n returns, at most `concurrency` in flight; the wall time from first post to last close."""
    loop_returns = await create_returns(stack, n)
    courier = Courier(stack.ingress_url)
    runs: list[Run] = []

    async def one(loop_return: dict[str, Any]) -> None:
        posted = time.time()
        ack = await courier.deliver(created_body(loop_return), deadline=600)
        run = Run(loop_return["id"], posted, ack.seconds)
        await drive_to(stack.client, run.return_id, {"closed"}, timeout=600, poll=POLL)
        run.closed_at = time.time()
        runs.append(run)

    started = time.monotonic()
    try:
        await bounded(loop_returns, concurrency, one)
    finally:
        await courier.aclose()
    return runs, time.monotonic() - started


async def history(client: Client, return_id: str) -> list[HistoryEvent]:
    fetched = await client.get_workflow_handle(workflow_id(return_id)).fetch_history()
    return list(fetched.events)


def event_name(event: HistoryEvent) -> str:
    return EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")


def document_at(events: list[HistoryEvent], activity: Act) -> float | None:
    scheduled = {
        e.event_id
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == activity.value
    }
    for e in events:
        if (
            e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
            and e.activity_task_completed_event_attributes.scheduled_event_id in scheduled
        ):
            return at(e)
    return None


@dataclass
class Profile:
    returns: int
    events_mean: float
    events_max: int
    by_type: dict[str, float]  # mean events per return, by event type
    activities: dict[str, float]  # mean scheduled per return, by activity type
    shape: str  # the first return's activities (a), local activities (l), updates (u)


async def profile(client: Client, return_ids: list[str]) -> tuple[Profile, dict[str, list]]:
    """Events per return and where they go; the histories themselves, for timings."""
    histories: dict[str, list[HistoryEvent]] = {}

    async def fetch(rid: str) -> None:
        histories[rid] = await history(client, rid)

    await bounded(return_ids, 10, fetch)
    sizes = [len(h) for h in histories.values()]
    by_type: Counter[str] = Counter()
    activities: Counter[str] = Counter()
    for events in histories.values():
        by_type.update(event_name(e) for e in events)
        activities.update(
            e.activity_task_scheduled_event_attributes.activity_type.name
            for e in events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        )
    n = len(histories)
    first = histories[return_ids[0]]
    return (
        Profile(
            returns=n,
            events_mean=round(sum(sizes) / n, 1),
            events_max=max(sizes),
            by_type={k: round(v / n, 2) for k, v in by_type.most_common()},
            activities={k: round(v / n, 2) for k, v in activities.most_common()},
            shape=shape_of(first),
        ),
        histories,
    )
