"""Reconciliation's side effects: stream Loop and the ERP into staging, match, open exceptions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from temporalio import activity

from activities.failures import typed_failures
from adapters.erp.protocol import ErpAdapter
from adapters.loop.client import LoopClient
from adapters.loop.payload import PayloadError, parse_return
from adapters.store import Store
from adapters.store.reconcile import ReconciliationLedger
from adapters.store.tables import ReconciliationFindingRow
from workflows.exceptions import ExceptionKind, open_case
from workflows.model import ErpDocumentKind, ErpLedgerEntry, ReturnRequest
from workflows.reconcile import BeginInput, FindInput, ReconActs, ReconcileSummary, Window

PAGE = 500  # staged rows per insert
FINDINGS_PAGE = 200  # findings opened as cases between heartbeats
LIST_STATES = (None, "review", "cancelled")  # Loop's default list omits review and cancelled
ERP_KINDS = (
    ErpDocumentKind.RETURN_AUTHORIZATION,
    ErpDocumentKind.ITEM_RECEIPT,
    ErpDocumentKind.CREDIT_MEMO,
    ErpDocumentKind.CUSTOMER_REFUND,
)


def loop_figure(request: ReturnRequest) -> Decimal:
    """What Loop says the customer gets back (gift card for store credit), as the workflow does."""
    totals = request.totals
    figure = totals.gift_card if request.outcome.value == "store_credit" else totals.refund
    if figure.amount == 0 and totals.return_total.amount > 0:
        return totals.return_total.amount - totals.handling_fee.amount
    return figure.amount


def _refunded(row: dict[str, Any]) -> Decimal:
    total = Decimal("0")
    for refund in row.get("refunds") or []:
        if isinstance(refund, dict) and refund.get("amount") not in (None, ""):
            total += Decimal(str(refund["amount"]))
    return total


def loop_item(row: dict[str, Any], storefront: str) -> dict[str, Any]:
    """One Loop return as a staged record; an unparseable one is still counted, amount unknown."""
    return_id = str(row["id"])
    try:
        request: ReturnRequest | None = parse_return(row, storefront)
    except PayloadError:
        request = None
    return {
        "source": "loop",
        "key": return_id,
        "return_id": return_id,
        "state": str(row.get("state") or "unknown"),
        "storefront": storefront,
        "currency": request.currency if request else row.get("currency"),
        "amount": loop_figure(request) if request else None,
        "refunded": _refunded(row),
        "at": request.created_at if request else None,
        "changed_at": request.updated_at if request else None,
    }


def erp_item(entry: ErpLedgerEntry) -> dict[str, Any]:
    return {
        "source": entry.kind.value,
        "key": entry.id,
        "return_id": entry.return_id,
        "state": entry.status,
        "currency": entry.amount.currency if entry.amount else None,
        "amount": entry.amount.amount if entry.amount else None,
        "at": entry.created_at,
    }


class ReconcileActivities:
    def __init__(self, loop: LoopClient, erp: ErpAdapter, store: Store) -> None:
        self.loop = loop
        self.erp = erp
        self.store = store
        self.ledger = ReconciliationLedger(store)

    @activity.defn(name=ReconActs.BEGIN)
    async def begin(self, inp: BeginInput) -> None:
        await asyncio.to_thread(
            self.ledger.begin, inp.run_id, inp.start, inp.end, inp.windows, inp.at
        )

    @activity.defn(name=ReconActs.STAGE)
    @typed_failures()
    async def stage_window(self, window: Window) -> int:
        """Stage one window, page by page; a retry stages the same rows again (upserts)."""
        staged = 0
        if not window.erp_only:
            for state in LIST_STATES:
                rows = self.loop.list_returns(
                    window.start, window.end, filter="created_at", state=state
                )
                staged += await self._stage(window, _mapped(rows, self.loop.storefront))
        for kind in ERP_KINDS:
            entries = self.erp.iter_documents(kind, window.start, window.end)
            staged += await self._stage(window, _entries(entries))
        await asyncio.to_thread(self.ledger.window_done, window.run_id, window.index)
        return staged

    async def _stage(self, window: Window, items: AsyncIterator[dict[str, Any]]) -> int:
        staged, page = 0, []
        async for item in items:
            at = item.get("at")
            if item["source"] == "loop" and at is not None and not window.start <= at < window.end:
                continue  # Loop's window ends are inclusive: each return in one window only
            page.append(item)
            if len(page) >= PAGE:
                staged += await asyncio.to_thread(self.ledger.stage, window.run_id, page)
                activity.heartbeat(window.index, staged)
                page = []
        staged += await asyncio.to_thread(self.ledger.stage, window.run_id, page)
        return staged

    @activity.defn(name=ReconActs.FIND)
    @typed_failures()
    async def find(self, inp: FindInput) -> ReconcileSummary:
        cutoff = inp.as_of - inp.grace
        counts = await asyncio.to_thread(
            self.ledger.find, inp.run_id, inp.start, inp.end, cutoff, inp.amount_tolerance
        )
        opened = await self._open_exceptions(inp)
        totals = await asyncio.to_thread(self.ledger.totals, inp.run_id, inp.start, inp.end)
        await asyncio.to_thread(self.ledger.finish, inp.run_id, totals, counts, datetime.now(UTC))
        run = await asyncio.to_thread(self.ledger.run, inp.run_id)
        assert run is not None
        return ReconcileSummary(
            run_id=run.id,
            start=run.period_start,
            end=run.period_end,
            loop_count=run.loop_count,
            erp_count=run.erp_count,
            count_delta=run.count_delta,
            amount_delta=run.amount_delta,
            finding_counts=counts,
            exceptions_opened=opened,
        )

    async def _open_exceptions(self, inp: FindInput) -> int:
        """One case per finding, a page at a time, heartbeating between pages."""
        opened, after = 0, ""
        while True:
            page = await asyncio.to_thread(
                self.ledger.findings_after, inp.run_id, after, FINDINGS_PAGE
            )
            opened += await asyncio.to_thread(self._open_page, inp, page)
            if len(page) < FINDINGS_PAGE:
                return opened
            after = page[-1].id
            activity.heartbeat(after)

    def _open_page(self, inp: FindInput, page: list[ReconciliationFindingRow]) -> int:
        """Open each finding's case, unless the return already has a case of that kind."""
        opened = 0
        for finding in page:
            kind = ExceptionKind(finding.kind)
            case_id = f"{finding.return_id}-recon-{kind.value}"
            existing = self.store.list_exceptions(
                kind=kind, return_id=finding.return_id, status=None, limit=5
            )
            if any(c.id != case_id for c in existing):
                continue  # the return's own workflow already opened this kind
            evidence = _evidence(inp, finding)
            case = open_case(
                kind, finding.return_id, 0, inp.as_of, "reconciliation", evidence, blocking=False
            ).model_copy(update={"id": case_id})
            self.store.upsert_exception(case)
            self.ledger.set_exception(inp.run_id, finding.id, case_id)
            opened += 1
        return opened

    def all(self) -> list[Any]:
        return [self.begin, self.stage_window, self.find]


def _evidence(inp: FindInput, finding: ReconciliationFindingRow) -> dict[str, Any]:
    return {
        "run_id": inp.run_id,
        "period": [inp.start.isoformat(), inp.end.isoformat()],
        "erp_document_id": finding.erp_document_id,
        "currency": finding.currency,
        "loop_amount": finding.loop_amount,
        "erp_amount": finding.erp_amount,
    }


async def _mapped(rows: AsyncIterator[dict[str, Any]], storefront: str) -> AsyncIterator[dict]:
    async for row in rows:
        yield loop_item(row, storefront)


async def _entries(entries: AsyncIterator[ErpLedgerEntry]) -> AsyncIterator[dict[str, Any]]:
    async for entry in entries:
        yield erp_item(entry)
