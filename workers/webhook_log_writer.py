"""The ingress's writes to the webhook log: one writer thread, and whatever arrived while a
commit ran is committed together in the next.

Each webhook used to take a pool thread and a transaction of its own. On SQLite (one write lock
per file) those threads waited on each other in the busy handler's 1-100 ms sleeps, and every
request queued behind a slow write: the tail of the ack latency. One writer takes the lock once
per batch instead of once per webhook.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from adapters.store import Store

log = logging.getLogger("returnflow.ingress")
MAX_BATCH = 200


class WebhookLogWriter:
    def __init__(self, store: Store, max_batch: int = MAX_BATCH) -> None:
        self.store = store
        self.max_batch = max_batch
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhook-log")
        self._flushing: asyncio.Task[None] | None = None

    async def record(self, **delivery: Any) -> None:
        """Return once this delivery is committed (raise if it could not be)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((delivery, done))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        await done

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            batch = self._waiting[: self.max_batch]
            del self._waiting[: self.max_batch]
            rows = [delivery for delivery, _ in batch]
            try:
                await loop.run_in_executor(self._thread, self.store.record_webhooks, rows)
            except Exception:
                log.warning("%d webhook log rows failed together; writing each alone", len(rows))
                await self._one_by_one(batch)
                continue
            for _, done in batch:
                if not done.done():  # its request may have been cancelled meanwhile
                    done.set_result(None)

    async def _one_by_one(self, batch: list[tuple[dict[str, Any], asyncio.Future[None]]]) -> None:
        """One bad row must not fail the deliveries committed beside it."""
        loop = asyncio.get_running_loop()
        for delivery, done in batch:
            try:
                await loop.run_in_executor(self._thread, self.store.record_webhooks, [delivery])
            except Exception as err:
                if not done.done():
                    done.set_exception(err)
            else:
                if not done.done():
                    done.set_result(None)

    def close(self) -> None:
        self._thread.shutdown(wait=True)
