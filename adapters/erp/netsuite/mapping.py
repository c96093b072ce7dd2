"""NetSuite records (REST JSON) <-> returnflow's ERP types. Pure functions, no I/O.

Amounts are whatever NetSuite computed (subtotal, taxTotal, discountTotal, total): the ERP is
the source of truth for money, returnflow only compares it with Loop's figure.
"""

from __future__ import annotations

from typing import Any

from workflows.model import (
    Address,
    ErpCredit,
    ErpDocument,
    ErpDocumentKind,
    ErpOrderLine,
    ErpReturnState,
    Money,
)

from .wire import decimal

RECORD_TYPES: dict[ErpDocumentKind, str] = {
    ErpDocumentKind.SALES_ORDER: "salesOrder",
    ErpDocumentKind.RETURN_AUTHORIZATION: "returnAuthorization",
    ErpDocumentKind.ITEM_RECEIPT: "itemReceipt",
    ErpDocumentKind.CREDIT_MEMO: "creditMemo",
    ErpDocumentKind.CUSTOMER_REFUND: "customerRefund",
    ErpDocumentKind.INVENTORY_TRANSFER: "inventoryTransfer",
    ErpDocumentKind.INVENTORY_ADJUSTMENT: "inventoryAdjustment",
    ErpDocumentKind.VENDOR_RETURN: "vendorReturnAuthorization",
    ErpDocumentKind.STORE_CREDIT: "customerRefund",  # refunded to the gift card clearing account
}
# SuiteQL `transaction.type` codes of the record types above
TYPE_CODES: dict[ErpDocumentKind, str] = {
    ErpDocumentKind.SALES_ORDER: "SalesOrd",
    ErpDocumentKind.RETURN_AUTHORIZATION: "RtnAuth",
    ErpDocumentKind.ITEM_RECEIPT: "ItemRcpt",
    ErpDocumentKind.CREDIT_MEMO: "CustCred",
    ErpDocumentKind.CUSTOMER_REFUND: "CustRfnd",
    ErpDocumentKind.INVENTORY_TRANSFER: "InvTrnfr",
    ErpDocumentKind.INVENTORY_ADJUSTMENT: "InvAdjst",
    ErpDocumentKind.VENDOR_RETURN: "VendAuth",
    ErpDocumentKind.STORE_CREDIT: "CustRfnd",
}


def ref_id(value: Any) -> str | None:
    """The internal id of a reference field ({id, refName, links})."""
    if isinstance(value, dict) and value.get("id") is not None:
        return str(value["id"])
    return None


def sublist(record: dict[str, Any], name: str = "item") -> list[dict[str, Any]]:
    """Lines of an expanded sublist (GET with expandSubResources=true)."""
    value = record.get(name)
    items = value.get("items") if isinstance(value, dict) else None
    return [line for line in items if isinstance(line, dict)] if isinstance(items, list) else []


def line_number(line: str) -> int | str:
    """NetSuite line ids are integers in JSON; ours are strings."""
    return int(line) if line.isdigit() else line


def quantity(value: Any) -> int:
    return int(decimal(value))


def order_line(line: dict[str, Any], skus: dict[str, str]) -> ErpOrderLine:
    item_id = ref_id(line.get("item")) or ""
    return ErpOrderLine(
        line=str(line["line"]),
        item_id=item_id,
        sku=skus.get(item_id, ""),
        quantity=quantity(line.get("quantity", 0)),
        rate=decimal(line.get("rate", 0)),
        amount=decimal(line.get("amount", 0)),
    )


def _money(record: dict[str, Any], field: str, currency: str) -> Money:
    return Money(amount=decimal(record.get(field) or 0), currency=currency)


def status_of(record: dict[str, Any]) -> str | None:
    """The status letter (RtnAuth:B -> "B"): stable, unlike the localised refName."""
    status = record.get("status")
    if isinstance(status, dict):
        return str(status.get("id")) if status.get("id") is not None else None
    return str(status) if status is not None else None


def document(kind: ErpDocumentKind, record: dict[str, Any], currency: str | None) -> ErpDocument:
    amount = _money(record, "total", currency) if currency and "total" in record else None
    return ErpDocument(
        kind=kind,
        id=str(record["id"]),
        external_id=str(record.get("externalId", "")),
        status=status_of(record),
        amount=amount,
    )


def credit(record: dict[str, Any], currency: str) -> ErpCredit:
    # ErpCredit carries the discount's size, whichever sign the account reports it with.
    discount = _money(record, "discountTotal", currency)
    return ErpCredit(
        kind=ErpDocumentKind.CREDIT_MEMO,
        id=str(record["id"]),
        external_id=str(record.get("externalId", "")),
        status=status_of(record),
        amount=_money(record, "total", currency),
        subtotal=_money(record, "subtotal", currency),
        tax=_money(record, "taxTotal", currency),
        discount=Money(amount=abs(discount.amount), currency=currency),
    )


def address(raw: Any) -> Address | None:
    """A shippingAddress subrecord (expanded) as an Address; None when absent or a bare link."""
    if not isinstance(raw, dict) or not any(k in raw for k in ("addr1", "zip", "country")):
        return None
    country = raw.get("country")
    code = country.get("id") if isinstance(country, dict) else country
    return Address(
        name=raw.get("addressee"),
        address1=raw.get("addr1"),
        address2=raw.get("addr2"),
        city=raw.get("city"),
        state=raw.get("state"),
        zip=raw.get("zip"),
        country_code=str(code) if code else None,
    )


# RtnAuth status letters (reference §3) in the words every ERP maps onto
RA_STATES = {
    "A": ErpReturnState.OPEN,
    "B": ErpReturnState.OPEN,
    "C": ErpReturnState.CANCELLED,
    "D": ErpReturnState.RECEIVED,
    "E": ErpReturnState.RECEIVED,
    "F": ErpReturnState.RECEIVED,
    "G": ErpReturnState.CREDITED,
    "H": ErpReturnState.CLOSED,
}
