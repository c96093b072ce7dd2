"""Khaos answers (XML) -> returnflow's ERP types, and our document kinds <-> Khaos's. Pure."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from adapters.erp.listing import DISPOSITION_KINDS
from adapters.erp.protocol import return_id_of
from adapters.erp.return_states import state_of
from adapters.erp.soap import children, decimal_of, read_bool, text_of
from workflows.model import (
    Availability,
    Disposition,
    ErpCredit,
    ErpDocument,
    ErpDocumentKind,
    ErpLedgerEntry,
    ErpOrder,
    ErpOrderLine,
    ErpReturnStatus,
    Money,
)

from .config import KhaosConfig

DOC_TYPES: dict[ErpDocumentKind, str] = {
    ErpDocumentKind.SALES_ORDER: "SalesOrder",
    ErpDocumentKind.RETURN_AUTHORIZATION: "Return",
    ErpDocumentKind.ITEM_RECEIPT: "ReturnReceipt",
    ErpDocumentKind.CREDIT_MEMO: "CreditNote",
    ErpDocumentKind.CUSTOMER_REFUND: "Refund",
    ErpDocumentKind.STORE_CREDIT: "AccountCredit",
    ErpDocumentKind.INVENTORY_TRANSFER: "StockAdjustment",
    ErpDocumentKind.INVENTORY_ADJUSTMENT: "StockAdjustment",
    ErpDocumentKind.VENDOR_RETURN: "StockAdjustment",
}

# stock adjustments are one Khaos document; the reason code says which of ours it is


def order(node: ET.Element) -> ErpOrder:
    lines = []
    for item in children(next(iter(children(node, "ORDER_ITEMS")), None), "ORDER_ITEM"):
        qty = int(text_of(item, "ORDER_QTY") or 0)
        rate = decimal_of(text_of(item, "PRICE_NET"))
        net = rate - decimal_of(text_of(item, "DISCOUNT_NET"))
        lines.append(
            ErpOrderLine(
                line=text_of(item, "SORDER_ITEM_ID"),
                item_id=text_of(item, "STOCK_CODE"),
                sku=text_of(item, "OTHER_REF"),
                quantity=qty,
                rate=rate,
                amount=net * qty,
            )
        )
    return ErpOrder(
        id=text_of(node, "SORDER_CODE"),
        tran_id=text_of(node, "ASSOCIATED_REF") or None,
        customer_id=text_of(node, "COMPANY_CODE"),
        currency=text_of(node, "CURRENCY_CODE") or "GBP",
        lines=lines,
    )


def credit(row: ET.Element) -> ErpCredit:
    currency = text_of(row, "CURRENCY_CODE") or "GBP"

    def money(name: str) -> Money:
        return Money(amount=decimal_of(text_of(row, name)), currency=currency)

    return ErpCredit(
        kind=ErpDocumentKind.CREDIT_MEMO,
        id=text_of(row, "CREDIT_NOTE_CODE") or text_of(row, "CODE"),
        external_id=text_of(row, "ASSOCIATED_REF"),
        status=text_of(row, "STATUS") or None,
        amount=money("GROSS"),
        subtotal=money("NET") + money("DISCOUNT"),
        tax=money("TAX"),
        discount=money("DISCOUNT"),
    )


def availability(row: ET.Element) -> Availability:
    return Availability(
        item_id=text_of(row, "STOCK_CODE"),
        available=int(text_of(row, "LEVEL") or 0),
        # an exchange needs both: flagged for web sale, and not run down as discontinued
        sellable=read_bool(text_of(row, "WEB_SALE"))
        and not read_bool(text_of(row, "DISCONTINUED")),
    )


def _amount(row: ET.Element) -> Money | None:
    gross = text_of(row, "GROSS")
    return (
        Money(amount=decimal_of(gross), currency=text_of(row, "CURRENCY_CODE")) if gross else None
    )


def kind_of(row: ET.Element, reasons: dict[Disposition, str]) -> ErpDocumentKind:
    doc_type = text_of(row, "DOC_TYPE")
    if doc_type == "StockAdjustment":
        by_reason = {code: DISPOSITION_KINDS[d] for d, code in reasons.items()}
        return by_reason.get(text_of(row, "REASON_CODE"), ErpDocumentKind.INVENTORY_ADJUSTMENT)
    return next(k for k, v in DOC_TYPES.items() if v == doc_type)


def document(row: ET.Element, kind: ErpDocumentKind) -> ErpDocument:
    if kind is ErpDocumentKind.CREDIT_MEMO:
        return credit(row)
    return ErpDocument(
        kind=kind,
        id=text_of(row, "CODE"),
        external_id=text_of(row, "ASSOCIATED_REF"),
        status=text_of(row, "STATUS") or None,
        amount=_amount(row),
    )


def ledger_entry(row: ET.Element, kind: ErpDocumentKind) -> ErpLedgerEntry:
    ref = text_of(row, "ASSOCIATED_REF") or None
    created = text_of(row, "CREATED")
    return ErpLedgerEntry(
        kind=kind,
        id=text_of(row, "CODE"),
        external_id=ref,
        return_id=return_id_of(ref),
        status=text_of(row, "STATUS") or None,
        amount=_amount(row),
        created_at=datetime.fromisoformat(created) if created else None,
    )


def return_status(return_id: str, row: ET.Element, config: KhaosConfig) -> ErpReturnStatus | None:
    """A listed return: its status in Khaos's words and ours, and its configured review flag."""
    status = text_of(row, "STATUS")
    state = state_of("khaos", status, config.return_states, return_id)
    if state is None:
        return None
    return ErpReturnStatus(
        return_id=return_id,
        document_id=text_of(row, "CODE"),
        state=state,
        erp_status=status,
        review=read_bool(text_of(row, config.review_flag)),
    )
