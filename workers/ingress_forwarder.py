"""Hands webhooks the ingress acknowledged from the store to Temporal (RETURNFLOW_INGRESS_ACK=
store): Loop's ack then costs one local write instead of a signal-with-start round trip.

At least once: a delivery is marked forwarded only after Temporal took it. Replicas share the
backlog by claiming rows; a forwarder that dies leaves its claims to expire and be taken over.
A second hand-over is harmless: the return's workflow drops an event whose digest it has seen.
Events of one return may arrive out of order, as Loop's own retries already make them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from adapters.store import Store
from adapters.store.webhook_outbox import WebhookOutbox
from workers.settings import Settings
from workflows.model import LoopEvent

log = logging.getLogger("returnflow.ingress")
RETRY_AFTER_S = 2.0  # Temporal unreachable: wait, then try the backlog again
OUTAGE_REMINDER_S = 60.0  # while Temporal refuses, one warning a minute, not one per event
LEASE = timedelta(seconds=60)  # a claim older than this belonged to a process that died


class Forwarder:
    def __init__(self, settings: Settings, client: Client, store: Store) -> None:
        self.settings = settings
        self.client = client
        self.outbox = WebhookOutbox(store)
        self.concurrency = settings.ingress_forward_concurrency
        self.poll_s = settings.ingress_forward_poll_s  # also picks up what a dead process left
        self.owner = f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._stopping = False
        self._refused_since: float | None = None  # monotonic, while Temporal refuses
        self._warned_at = 0.0

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Forward until stopped: in batches, `concurrency` hand-overs in flight."""
        while not self._stopping:
            try:
                await self._round()
            except Exception:  # the store is unreachable: keep the loop, the backlog waits
                log.exception("webhook forwarder: a round failed; retrying")
                await asyncio.sleep(RETRY_AFTER_S)

    async def _round(self) -> None:
        self._wake.clear()  # before claiming: a webhook queued meanwhile wakes the next wait
        batch = await asyncio.to_thread(
            self.outbox.claim, self.owner, self.concurrency * 4, datetime.now(UTC), LEASE
        )
        if not batch:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_s)
            return
        slots = asyncio.Semaphore(self.concurrency)
        outcomes = await asyncio.gather(*(self._one(slots, i, e) for i, e in batch))
        done = [(i, note) for (i, _), (ok, note) in zip(batch, outcomes, strict=True) if ok]
        failed = [(i, why) for (i, _), (ok, why) in zip(batch, outcomes, strict=True) if not ok]
        if done:  # one write for the round; a crash before it only means a repeat hand-over
            await asyncio.to_thread(self.outbox.forwarded_many, done, datetime.now(UTC))
        self._report(len(batch), failed)
        if failed:  # Temporal refused: give them back, try again shortly
            await asyncio.to_thread(self.outbox.release, [i for i, _ in failed])
            await asyncio.sleep(RETRY_AFTER_S)

    def _report(self, claimed: int, failed: list[tuple[str, str | None]]) -> None:
        """Temporal refusing is logged when it starts, once a minute while it lasts and when it
        ends: a backlog of thousands must not log a line per event every retry."""
        now = time.monotonic()
        if not failed:
            if self._refused_since is not None:
                log.info("Temporal takes webhooks again after %.0f s", now - self._refused_since)
                self._refused_since = None
            return
        if self._refused_since is None or now - self._warned_at >= OUTAGE_REMINDER_S:
            since = self._refused_since or now
            log.warning(
                "Temporal did not take %d of %d webhooks (for %.0f s; e.g. %s: %s); they stay "
                "queued in the store, retried every %.0f s",
                len(failed),
                claimed,
                now - since,
                failed[0][0],
                failed[0][1],
                RETRY_AFTER_S,
            )
            self._warned_at = now
        self._refused_since = self._refused_since or now

    async def _one(
        self, slots: asyncio.Semaphore, delivery_id: str, raw: dict[str, Any]
    ) -> tuple[bool, str | None]:
        """Hand one event over: (taken, note for the log), or (False, why) to retry it."""
        from workers.ingress import deliver  # the ingress imports this module

        async with slots:
            try:
                event = LoopEvent.model_validate(raw)
            except ValidationError as err:  # never deliverable: set aside, the body stays logged
                note = f"unreadable queued event, not forwarded: {err.error_count()} errors"
                log.error("webhook %s: %s", delivery_id, note)
                return True, note
            try:
                await deliver(self.client, self.settings, event)
            except WorkflowAlreadyStartedError:
                return True, "return already finished; event recorded only"
            except Exception as err:  # RPCError, or no connection at all (a lazy client)
                return False, str(err) or type(err).__name__
            return True, None

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
