"""SuiteQL rows of the transaction table -> ErpLedgerEntry, for reconciliation.

External ids have the form loop-<return id>-<kind>[-n] (adapters.erp.protocol.external_id);
the return id is read back from them. Customer refunds carry both kinds of payout: those whose
kind is `sc` are store credit (refunded to the gift card clearing account), the rest refunds.
"""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.erp.protocol import parse_external_id
from workflows.model import ErpDocumentKind, ErpLedgerEntry, Money

from .wire import decimal

STORE_CREDIT_KIND = "sc"


def belongs(kind: ErpDocumentKind, doc_kind: str | None) -> bool:
    """Split customer refunds into refunds and store credit by their external id's kind."""
    if kind is ErpDocumentKind.STORE_CREDIT:
        return doc_kind == STORE_CREDIT_KIND
    if kind is ErpDocumentKind.CUSTOMER_REFUND:
        return doc_kind != STORE_CREDIT_KIND
    return True


def entry(kind: ErpDocumentKind, row: dict[str, str], currency: str | None) -> ErpLedgerEntry:
    return_id, _ = parse_external_id(row.get("externalid"))
    total = row.get("foreigntotal")
    amount = (
        Money(amount=abs(decimal(total)), currency=currency)
        if total not in (None, "") and currency
        else None
    )
    created = row.get("created")
    return ErpLedgerEntry(
        kind=kind,
        id=str(row["id"]),
        external_id=row.get("externalid"),
        return_id=return_id,
        status=row.get("status") or None,
        amount=amount,
        created_at=datetime.strptime(created, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        if created
        else None,
    )
