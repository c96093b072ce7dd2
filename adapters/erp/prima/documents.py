"""Prima replies (attributes on Data, line elements) -> returnflow's ERP types. Pure."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime

from adapters.erp.listing import DISPOSITION_KINDS
from adapters.erp.protocol import return_id_of
from adapters.erp.return_states import state_of
from adapters.erp.soap import children, decimal_of, read_bool
from workflows.model import (
    ErpCredit,
    ErpDocument,
    ErpDocumentKind,
    ErpLedgerEntry,
    ErpOrder,
    ErpOrderLine,
    ErpReturnStatus,
    Money,
)

from .config import Matrix, PrimaConfig, item_id

DOC_TYPES: dict[ErpDocumentKind, str] = {
    ErpDocumentKind.SALES_ORDER: "SalesOrder",
    ErpDocumentKind.RETURN_AUTHORIZATION: "SalesReturn",
    ErpDocumentKind.ITEM_RECEIPT: "GoodsReceipt",
    ErpDocumentKind.CREDIT_MEMO: "SalesCredit",
    ErpDocumentKind.CUSTOMER_REFUND: "CreditPayment",
    ErpDocumentKind.STORE_CREDIT: "CreditPayment",
    ErpDocumentKind.INVENTORY_TRANSFER: "StockTransfer",
    ErpDocumentKind.INVENTORY_ADJUSTMENT: "StockTransfer",
    ErpDocumentKind.VENDOR_RETURN: "StockTransfer",
}


def matrix(node: ET.Element) -> Matrix:
    return node.get("Product", ""), node.get("MtrxCode1", ""), node.get("MtrxCode2", "")


def order(data: ET.Element, sku_of: Callable[[str], str]) -> ErpOrder:
    lines = []
    for row in children(data, "OrderLineData"):
        item = item_id(matrix(row))
        qty = int(row.get("Quantity", "0"))
        price = decimal_of(row.get("Price", "0"))
        net = price - decimal_of(row.get("Discount", "0"))
        lines.append(
            ErpOrderLine(
                line=row.get("LineNo", ""),
                item_id=item,
                sku=sku_of(item),
                quantity=qty,
                rate=price,
                amount=net * qty,
            )
        )
    return ErpOrder(
        id=data.get("PrimaOrderNo", ""),
        tran_id=data.get("OrderNumber"),
        customer_id=data.get("Customer", ""),
        currency=data.get("Currency", "GBP"),
        lines=lines,
    )


def _money(data: ET.Element, name: str) -> Money:
    return Money(amount=decimal_of(data.get(name, "0")), currency=data.get("Currency", "GBP"))


def credit(data: ET.Element, external_id: str) -> ErpCredit:
    return ErpCredit(
        kind=ErpDocumentKind.CREDIT_MEMO,
        id=data.get("CreditNumber") or data.get("Number", ""),
        external_id=external_id,
        status=data.get("Status"),
        amount=_money(data, "Gross"),
        subtotal=_money(data, "Net") + _money(data, "Discount"),
        tax=_money(data, "VAT"),
        discount=_money(data, "Discount"),
    )


def written(kind: ErpDocumentKind, data: ET.Element, number: str, external_id: str) -> ErpDocument:
    gross = data.get("Gross")
    return ErpDocument(
        kind=kind,
        id=data.get(number, ""),
        external_id=external_id,
        status=data.get("Status"),
        amount=_money(data, "Gross") if gross else None,
    )


def kind_of(row: ET.Element) -> ErpDocumentKind:
    doc_type = row.get("DocType", "")
    if doc_type == "CreditPayment":
        gift = row.get("Tender") == "GiftVoucher"
        return ErpDocumentKind.STORE_CREDIT if gift else ErpDocumentKind.CUSTOMER_REFUND
    if doc_type == "StockTransfer":
        reason = row.get("Reason", "")
        known = {d.value: k for d, k in DISPOSITION_KINDS.items()}
        return known.get(reason, ErpDocumentKind.INVENTORY_TRANSFER)
    return next(k for k, v in DOC_TYPES.items() if v == doc_type)


def document(row: ET.Element, kind: ErpDocumentKind) -> ErpDocument:
    if kind is ErpDocumentKind.CREDIT_MEMO:
        return credit(row, row.get("Reference", ""))
    return written(kind, row, "Number", row.get("Reference", ""))


def ledger_entry(row: ET.Element, kind: ErpDocumentKind) -> ErpLedgerEntry:
    ref = row.get("Reference")
    created = row.get("Created")
    return ErpLedgerEntry(
        kind=kind,
        id=row.get("Number", ""),
        external_id=ref,
        return_id=return_id_of(ref),
        status=row.get("Status"),
        amount=_money(row, "Gross") if row.get("Gross") else None,
        created_at=datetime.fromisoformat(created) if created else None,
    )


def return_status(return_id: str, row: ET.Element, config: PrimaConfig) -> ErpReturnStatus | None:
    """One MultiReturnStatus row: Prima's status, ours, and the configured review attribute."""
    status = row.get("Status", "")
    state = state_of("prima", status, config.return_states, return_id)
    if state is None:
        return None
    return ErpReturnStatus(
        return_id=return_id,
        document_id=row.get("ReturnNumber", ""),
        state=state,
        erp_status=status,
        review=read_bool(row.get(config.review_flag, "No")),
    )
