"""Records as SuiteTalk REST returns them: references as {id, refName, links}, sublists as
{items, count, hasMore, offset, totalResults} (inline only with expandSubResources=true), and
the amounts NetSuite computes (subtotal, taxTotal, discountTotal, total)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from adapters.erp.netsuite import wire

from .status import amount_remaining, status_of
from .store import TRANSACTIONS, Line, Record, Ref, Store

_LABELS = {
    "salesOrder": "Sales Order",
    "returnAuthorization": "Return Authorization",
    "itemReceipt": "Item Receipt",
    "creditMemo": "Credit Memo",
    "cashRefund": "Cash Refund",
    "customerRefund": "Customer Refund",
    "inventoryTransfer": "Inventory Transfer",
    "inventoryAdjustment": "Inventory Adjustment",
    "vendorReturnAuthorization": "Vendor Return Authorization",
}
_NAME_FIELDS = ("itemId", "entityId", "name", "acctName", "companyName")
SUBLISTS = {
    "customerRefund": "apply",
    "inventoryTransfer": "inventory",
    "inventoryAdjustment": "inventory",
}


def sublist_name(record_type: str) -> str:
    return SUBLISTS.get(record_type, "item")


def _link(base: str, record_type: str, record_id: str, suffix: str = "") -> list[dict[str, str]]:
    return [{"rel": "self", "href": f"{base}{wire.record_path(record_type, record_id)}{suffix}"}]


def ref_name(store: Store, ref: Ref) -> str:
    record = store.records[ref.type].get(ref.id)
    if record is None:
        return ref.id
    if record.type in TRANSACTIONS:
        return f"{_LABELS[record.type]} #{record.fields.get('tranId', record.id)}"
    return next((str(record.fields[f]) for f in _NAME_FIELDS if f in record.fields), record.id)


def render_ref(store: Store, ref: Ref, base: str) -> dict[str, Any]:
    return {"id": ref.id, "refName": ref_name(store, ref), "links": _link(base, ref.type, ref.id)}


def totals(record: Record) -> dict[str, Decimal]:
    if record.type == "customerRefund":
        return {"total": sum((a["amount"] for a in record.fields["apply"]), Decimal(0))}
    if record.type in ("inventoryTransfer", "inventoryAdjustment", "itemReceipt"):
        return {}
    subtotal = sum((ln.amount for ln in record.lines if not ln.is_closed), Decimal(0))
    tax = sum((ln.tax for ln in record.lines if not ln.is_closed), Decimal(0))
    discount = Decimal(0)  # discounts live in the line rate; no header discount item here
    return {
        "subtotal": subtotal,
        "taxTotal": tax,
        "discountTotal": discount,
        "total": subtotal + tax - discount,
    }


def _value(store: Store, value: Any, base: str) -> Any:
    if isinstance(value, Ref):
        return render_ref(store, value, base)
    if isinstance(value, list):
        return [_value(store, v, base) for v in value]
    if isinstance(value, dict):
        return {k: _value(store, v, base) for k, v in value.items()}
    return value


def render_line(store: Store, record: Record, line: Line, base: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "line": line.line,
        "item": render_ref(store, Ref("inventoryItem", line.item), base),
    }
    if sublist_name(record.type) == "inventory":
        out["adjustQtyBy"] = line.quantity
    else:
        out["quantity"] = line.quantity
    if record.type not in ("itemReceipt", "inventoryTransfer", "inventoryAdjustment"):
        out.update(rate=line.rate, amount=line.amount, taxAmount=line.tax)
    if line.location is not None:
        out["location"] = render_ref(store, Ref("location", line.location), base)
    if line.order_line is not None:
        out["orderLine"] = line.order_line
    if line.restock is not None:
        out["restock"] = line.restock
    if record.type in ("salesOrder", "returnAuthorization"):
        out["isClosed"] = line.is_closed
    return out


def _sublist(rows: list[dict[str, Any]], href: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "links": href,
        "count": len(rows),
        "hasMore": False,
        "offset": 0,
        "totalResults": len(rows),
        "items": rows,
    }


def render(store: Store, record: Record, base: str, *, expand: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"links": _link(base, record.type, record.id), "id": record.id}
    if record.external_id:
        out["externalId"] = record.external_id
    hidden = {"status", "apply", "cancelled", "orderStatus"}
    out.update({k: _value(store, v, base) for k, v in record.fields.items() if k not in hidden})
    if record.created_from is not None:
        out["createdFrom"] = render_ref(store, record.created_from, base)
    amounts = totals(record)
    out.update(amounts)
    status = status_of(store, record, amounts.get("total", Decimal(0)))
    if status is not None:
        out["status"] = {"id": status[0], "refName": status[1]}
    if record.type == "creditMemo":
        out["amountRemaining"] = amount_remaining(store, record, amounts["total"])
    if record.type in TRANSACTIONS:
        name = sublist_name(record.type)
        href = _link(base, record.type, record.id, f"/{name}")
        if not expand:
            out[name] = {"links": href}
        elif name == "apply":
            rows = [
                {"doc": render_ref(store, a["doc"], base), "apply": True, "amount": a["amount"]}
                for a in record.fields["apply"]
            ]
            out[name] = _sublist(rows, href)
        else:
            out[name] = _sublist(
                [render_line(store, record, ln, base) for ln in record.lines], href
            )
    return out
