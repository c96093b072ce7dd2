"""The ingress's webhook log writer on both stores: concurrent deliveries are committed together,
each caller returns only once its row is durable, and one bad row fails only its own delivery."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.store import Store
from adapters.store.webhook_outbox import WebhookOutbox
from workers.webhook_log_writer import WebhookLogWriter

T0 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def delivery(k: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"w{k:03d}",
        "received_at": T0 + timedelta(milliseconds=k),
        "body": f'{{"n": {k}}}'.encode(),
        "status_code": 202,
        "accepted": True,
        "signature_ok": True,
        "return_id": f"r{k}",
        "event": {"topic": "return", "return_id": f"r{k}", "n": k},
        **extra,
    }


class CountingStore:
    """The store, with its batch writes counted."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.batches: list[int] = []

    def record_webhooks(self, deliveries: Sequence[Mapping[str, Any]]) -> None:
        self.batches.append(len(deliveries))
        self.store.record_webhooks(deliveries)


async def test_concurrent_deliveries_commit_together_and_all_land(store: Store) -> None:
    counting = CountingStore(store)
    writer = WebhookLogWriter(counting)  # type: ignore[arg-type]
    try:
        await asyncio.gather(*(writer.record(**delivery(k)) for k in range(60)))
        later = delivery(60, event=None, status_code=401, accepted=False, signature_ok=False)
        await writer.record(**later)  # a refused delivery: logged, not queued
    finally:
        writer.close()
    assert sum(counting.batches) == 61 and len(counting.batches) <= 3
    assert WebhookOutbox(store).backlog()[0] == 60  # the refused one is not queued
    refused, seventh = store.get_webhook("w060"), store.get_webhook("w007")
    assert refused is not None and refused.status_code == 401 and refused.event is None
    assert seventh is not None and seventh.event == {"topic": "return", "return_id": "r7", "n": 7}


async def test_a_bad_row_fails_only_its_own_delivery(store: Store) -> None:
    writer = WebhookLogWriter(store)
    bad = delivery(5, event={"n": object()})  # not JSON: its insert fails
    try:
        results = await asyncio.gather(
            *(writer.record(**(bad if k == 5 else delivery(k))) for k in range(10)),
            return_exceptions=True,
        )
    finally:
        writer.close()
    failed = [k for k, r in enumerate(results) if isinstance(r, Exception)]
    assert failed == [5]
    assert store.get_webhook("w005") is None
    assert all(store.get_webhook(f"w{k:03d}") is not None for k in range(10) if k != 5)


async def test_a_cancelled_caller_does_not_stop_the_others(store: Store) -> None:
    writer = WebhookLogWriter(store)
    try:
        tasks = [asyncio.create_task(writer.record(**delivery(k))) for k in range(5)]
        await asyncio.sleep(0)
        tasks[2].cancel()  # the client went away: its row may still be written, nothing breaks
        results = await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        writer.close()
    assert [isinstance(r, asyncio.CancelledError) for r in results] == [
        False,
        False,
        True,
        False,
        False,
    ]
    assert all(store.get_webhook(f"w{k:03d}") is not None for k in (0, 1, 3, 4))


@pytest.mark.parametrize("n", [1, 250])
async def test_batches_never_exceed_the_limit(store: Store, n: int) -> None:
    counting = CountingStore(store)
    writer = WebhookLogWriter(counting, max_batch=100)  # type: ignore[arg-type]
    try:
        await asyncio.gather(*(writer.record(**delivery(k)) for k in range(n)))
    finally:
        writer.close()
    assert sum(counting.batches) == n and max(counting.batches) <= 100
