"""The catch-up sweep's side effects: list Loop, hand missed changes over, check subscriptions."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from temporalio import activity

from activities.failures import typed_failures
from adapters.loop.client import LoopClient
from adapters.loop.payload import PayloadError, parse_return
from adapters.store import Store
from adapters.store.sweeps import SweepLedger
from adapters.store.tables import SweepRunRow
from workflows.exceptions import ExceptionKind, ExceptionStatus, open_case
from workflows.model import LoopEvent
from workflows.sweep import CatchUpInput, SweepActs, SweepResult

# Hands one event to its return's workflow (signal-with-start); False when that workflow has
# already finished, so there was nothing left to catch up.
Handover = Callable[[LoopEvent], Awaitable[bool]]
LIST_STATES = (None, "review", "cancelled")  # Loop's default list omits review and cancelled
HEARTBEAT_EVERY = 100


def sweep_digest(row: dict[str, Any]) -> str:
    """Same Loop state, same digest: the workflow drops a repeat, the ledger skips it."""
    parts = [str(row.get(k)) for k in ("id", "state", "updated_at", "label_status")]
    return hashlib.sha256(b"sweep|" + "|".join(parts).encode()).hexdigest()


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None  # an unreadable stamp: compare from the window's start instead
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class SweepActivities:
    def __init__(self, loop: LoopClient, store: Store, handover: Handover) -> None:
        self.loop = loop
        self.store = store
        self.ledger = SweepLedger(store)
        self.handover = handover

    @activity.defn(name=SweepActs.CATCH_UP)
    @typed_failures()
    async def catch_up(self, inp: CatchUpInput) -> SweepResult:
        since = await asyncio.to_thread(
            self.ledger.window, inp.now, inp.overlap, inp.first_lookback
        )
        result = SweepResult(sweep_id=inp.sweep_id, since=since, until=inp.now)
        started = datetime.now(UTC)
        await self._record(result, started, finished=None)
        for state in LIST_STATES:
            async for row in self.loop.list_returns(
                since, inp.now, filter="updated_at", state=state
            ):
                result.listed += 1
                await self._consider(row, result)
                if result.listed % HEARTBEAT_EVERY == 0:
                    activity.heartbeat(result.listed)
        await self._record(result, started, finished=datetime.now(UTC))
        return result

    async def _consider(self, row: dict[str, Any], result: SweepResult) -> None:
        return_id, digest = str(row["id"]), sweep_digest(row)
        changed = _when(row.get("updated_at")) or _when(row.get("created_at")) or result.since
        if await asyncio.to_thread(self.ledger.already_handed, return_id, digest):
            return
        if await asyncio.to_thread(self.ledger.webhook_since, return_id, changed):
            return  # a webhook already told us about this change
        try:
            request = parse_return(row, self.loop.storefront)
        except PayloadError:
            result.unreadable.append(return_id)
            return
        event = LoopEvent(
            topic="return",
            trigger="return.updated",
            return_id=return_id,
            received_at=datetime.now(UTC),
            digest=digest,
            state=request.state,
            label_status=request.label_status,
            tracking_number=request.tracking_number,
            carrier=request.carrier,
            return_request=request,
            actor="loop-sweep",
        )
        live = await self.handover(event)
        await asyncio.to_thread(self.ledger.handed, return_id, digest, changed, datetime.now(UTC))
        result.missed += 1
        result.signalled += int(live)

    async def _record(
        self, result: SweepResult, started: datetime, finished: datetime | None
    ) -> None:
        row = SweepRunRow(
            id=result.sweep_id,
            since=result.since,
            until=result.until,
            started_at=started,
            finished_at=finished,
            listed=result.listed,
            signalled=result.signalled,
            missed=result.missed,
            inactive_subscriptions=len(result.inactive_subscriptions),
        )
        await asyncio.to_thread(self.ledger.record_run, row)

    @activity.defn(name=SweepActs.SUBSCRIPTIONS)
    @typed_failures()
    async def check_subscriptions(self, result: SweepResult) -> list[str]:
        """Open one ops exception per switched-off subscription (while none is open for it)."""
        inactive = [h for h in await self.loop.list_webhooks() if h.get("status") != "active"]
        now = datetime.now(UTC)
        for hook in inactive:
            await asyncio.to_thread(self._open_inactive, hook, now)
        await asyncio.to_thread(self._count_inactive, result.sweep_id, len(inactive))
        return [str(h.get("id")) for h in inactive]

    def _open_inactive(self, hook: dict[str, Any], now: datetime) -> None:
        subject = f"loop-webhook-{hook.get('id')}"
        kind = ExceptionKind.WEBHOOK_SUBSCRIPTION_INACTIVE
        if self.store.list_exceptions(kind=kind, return_id=subject, status=ExceptionStatus.OPEN):
            return
        seq = int(now.strftime("%Y%m%d"))  # a new case a day while it stays off and unowned
        evidence = {k: hook.get(k) for k in ("id", "topic", "trigger", "url", "status")}
        case = open_case(kind, subject, seq, now, "webhooks", evidence, blocking=False)
        self.store.upsert_exception(case)

    def _count_inactive(self, sweep_id: str, count: int) -> None:
        with self.store.engine.begin() as conn:
            table = SweepRunRow.__table__  # type: ignore[attr-defined]
            conn.execute(
                table.update().where(table.c.id == sweep_id).values(inactive_subscriptions=count)
            )

    def all(self) -> list[Any]:
        return [self.catch_up, self.check_subscriptions]
