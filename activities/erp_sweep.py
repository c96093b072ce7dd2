"""The ERP status sweep's side effects: read RA statuses page by page, signal what changed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from temporalio import activity

from activities.failures import typed_failures
from adapters.erp.protocol import ErpAdapter
from adapters.store import Store
from adapters.store.erp_signals import ErpSignalLedger
from workflows.erp_sweep import WATCHED_STATES, ErpSweepActs, ErpSweepInput, ErpSweepResult
from workflows.model import ERP_ENDED, ErpEvent, ErpReturnStatus

# Signals one return's workflow; False when that workflow has already ended.
SignalReturn = Callable[[str, ErpEvent], Awaitable[bool]]
ACTOR = "erp-sweep"
WITHOUT_RA_SHOWN = 100  # the result names at most this many (the count is in the logs)


def events_for(status: ErpReturnStatus, system: str) -> list[ErpEvent]:
    """What a status means to the return's workflow: closed/cancelled there, flagged there."""
    said = f"{system} status {status.erp_status}"
    events = []
    if status.state in ERP_ENDED:
        note = f"RA {status.state.value} in {system} ({said})"
        events.append(
            ErpEvent(kind="ra_closed", actor=ACTOR, document_id=status.document_id, note=note)
        )
    if status.review:
        note = f"review flag set in {system} ({said})"
        events.append(
            ErpEvent(kind="review", actor=ACTOR, document_id=status.document_id, note=note)
        )
    return events


class ErpSweepActivities:
    def __init__(self, erp: ErpAdapter, store: Store, signal: SignalReturn) -> None:
        self.erp = erp
        self.ledger = ErpSignalLedger(store)
        self.signal = signal

    @activity.defn(name=ErpSweepActs.POLL)
    @typed_failures()
    async def poll(self, inp: ErpSweepInput) -> ErpSweepResult:
        result = ErpSweepResult(sweep_id=inp.sweep_id, erp_system=self.erp.system)
        after = ""
        while True:
            page = await asyncio.to_thread(
                self.ledger.watched, self.erp.system, WATCHED_STATES, after, inp.page
            )
            if not page:
                return result
            after = page[-1]
            await self._page(page, result)
            activity.heartbeat(result.watched)

    async def _page(self, page: list[str], result: ErpSweepResult) -> None:
        statuses = await self.erp.return_statuses(page)
        done = await asyncio.to_thread(self.ledger.already, page)
        result.watched += len(page)
        result.read += len(statuses)
        missing = [rid for rid in page if rid not in statuses]
        result.without_ra += missing[: max(0, WITHOUT_RA_SHOWN - len(result.without_ra))]
        for rid, status in statuses.items():
            if not status.review and (rid, "review") in done:  # unticked: a new tick is news
                cleared = ErpEvent(
                    kind="review_cleared", actor=ACTOR, document_id=status.document_id
                )
                await self.signal(rid, cleared)
                await asyncio.to_thread(self.ledger.forget, rid, "review")
            for event in events_for(status, self.erp.system):
                if (rid, event.kind) in done:
                    continue
                live = await self.signal(rid, event)
                await asyncio.to_thread(
                    self.ledger.signalled,
                    rid,
                    event.kind,
                    status.document_id,
                    status.erp_status,
                    datetime.now(UTC),
                )
                result.closed += event.kind == "ra_closed"
                result.review += event.kind == "review"
                result.finished_returns += not live

    def all(self) -> list[object]:
        return [self.poll]
