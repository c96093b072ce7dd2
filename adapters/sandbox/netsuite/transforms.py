"""`POST {fromType}/{id}/!transform/{toType}`: the document chain of a return.

salesOrder -> returnAuthorization -> itemReceipt | creditMemo | cashRefund; creditMemo ->
customerRefund. The target starts from the source's lines (or none with `?replace=item`) and the
body's lines merge in by `orderLine`. Rules NetSuite enforces are enforced here: no more
returned than sold, no more received than authorized, no credit before receipt unless the
account allows refunds in advance, no refund beyond what the credit memo has left.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import values
from .errors import invalid_content, invalid_request, user_error
from .render import totals
from .schema import sublist_items
from .status import amount_remaining, authorized, credited, ra_status, received
from .store import Line, Preferences, Record, Store

Rule = Callable[[Store, Preferences, Record, dict[str, Any], set[str]], Record]
NO_LINES = "You must enter at least one line item for this transaction."


def _new(
    store: Store, record_type: str, prefix: str, source: Record, body: dict[str, Any]
) -> Record:
    """The target record with the header fields every transform copies from its source."""
    record = Record(
        record_type,
        store.new_id(record_type),
        external_id=values.text(body.get("externalId"), "externalId"),
        created_from=source.ref,
    )
    record.fields["tranId"] = store.tran_number(prefix)
    for name in ("entity", "currency"):
        if name in source.fields:
            record.fields[name] = source.fields[name]
    memo = values.text(body.get("memo"), "memo")
    if memo is not None:
        record.fields["memo"] = memo
    return record


def _renumber(lines: list[Line]) -> list[Line]:
    """New transactions number their lines 2, 4, 6...: never equal to the source's 1, 3, 5."""
    for n, line in enumerate(lines):
        line.line = 2 * (n + 1)
    return lines


def _source_line(source: Record, value: Any, path: str) -> Line:
    number = values.whole(value, path)
    line = next((ln for ln in source.lines if ln.line == number), None)
    if line is None:
        raise invalid_content(f"Invalid value for the field {path}: line {number}.", path)
    return line


def _check_item(store: Store, body_line: dict[str, Any], line: Line, path: str) -> None:
    if (
        "item" in body_line
        and store.resolve("inventoryItem", body_line["item"], path).id != line.item
    ):
        raise invalid_content(f"The item does not match line {line.line} of the source.", path)


def _copy(line: Line, quantity: int) -> Line:
    return Line(
        line=0,
        item=line.item,
        quantity=quantity,
        rate=line.rate,
        unit_tax=line.unit_tax,
        location=line.location,
        order_line=line.line,
    )


def to_return_authorization(
    store: Store, prefs: Preferences, so: Record, body: dict[str, Any], replace: set[str]
) -> Record:
    room = {ln.line: ln.quantity - authorized(store, so, ln) for ln in so.lines if not ln.is_closed}
    drafts: dict[int, Line] = {}
    if "item" not in replace:
        drafts = {ln.line: _copy(ln, room[ln.line]) for ln in so.lines if room.get(ln.line, 0) > 0}
    for n, bl in enumerate(sublist_items(body, "item")):
        path = f"item.items[{n}]"
        src = _source_line(so, bl.get("orderLine"), f"{path}.orderLine")
        _check_item(store, bl, src, f"{path}.item")
        qty = values.whole(bl.get("quantity", src.quantity), f"{path}.quantity")
        if qty > room.get(src.line, 0):
            raise user_error(
                f"You cannot return more than {max(room.get(src.line, 0), 0)} of the item on "
                f"line {src.line} of {so.fields.get('tranId')}.",
                f"{path}.quantity",
            )
        drafts[src.line] = _copy(src, qty)
    if not drafts:
        raise user_error(NO_LINES, "item")

    status = body.get("orderStatus", {"id": "B"})
    letter = status.get("id") if isinstance(status, dict) else status
    if letter not in ("A", "B"):
        raise invalid_content(
            f"Invalid value for the field orderStatus: {letter!r}.", "orderStatus"
        )
    record = _new(store, "returnAuthorization", "RMA", so, body)
    record.fields.update(orderStatus=letter, otherRefNum=so.fields.get("otherRefNum"))
    record.lines = _renumber(list(drafts.values()))
    return record


def to_item_receipt(
    store: Store, prefs: Preferences, ra: Record, body: dict[str, Any], replace: set[str]
) -> Record:
    status = ra_status(store, ra)
    if status not in ("B", "D", "E"):
        raise user_error(f"This return authorization cannot be received (status {status}).")
    default_location = body.get("location")
    pending = {
        ln.line: ln.quantity - received(store, ra, ln) for ln in ra.lines if not ln.is_closed
    }
    drafts: dict[int, tuple[Line, Any, str]] = {}
    if "item" not in replace:
        for ln in ra.lines:
            if pending.get(ln.line, 0) > 0:
                drafts[ln.line] = (_copy(ln, pending[ln.line]), default_location, "location")
    for n, bl in enumerate(sublist_items(body, "item")):
        path = f"item.items[{n}]"
        if not values.flag(bl.get("itemReceive"), f"{path}.itemReceive", True):
            drafts.pop(values.whole(bl.get("orderLine"), f"{path}.orderLine"), None)
            continue
        src = _source_line(ra, bl.get("orderLine"), f"{path}.orderLine")
        _check_item(store, bl, src, f"{path}.item")
        qty = values.whole(bl.get("quantity", pending.get(src.line, 0)), f"{path}.quantity")
        if qty > pending.get(src.line, 0):
            raise user_error(
                f"You cannot receive more than {max(pending.get(src.line, 0), 0)} of the item "
                f"on line {src.line} of {ra.fields.get('tranId')}.",
                f"{path}.quantity",
            )
        line = _copy(src, qty)
        line.restock = values.flag(bl.get("restock"), f"{path}.restock", True)
        drafts[src.line] = (line, bl.get("location", default_location), f"{path}.location")
    if not drafts:
        raise user_error(NO_LINES, "item")
    for line, location, path in drafts.values():
        if location is None:
            raise user_error("Please enter value(s) for: Location", path)
        line.location = store.resolve("location", location, path).id
        line.restock = True if line.restock is None else line.restock

    record = _new(store, "itemReceipt", "IR", ra, body)
    record.lines = _renumber([line for line, _, _ in drafts.values()])
    if default_location is not None:
        record.fields["location"] = store.resolve("location", default_location, "location").ref
    return record


def _credit_lines(store: Store, prefs: Preferences, ra: Record) -> list[Line]:
    status = ra_status(store, ra)
    if status in ("A", "C", "H"):
        raise user_error(f"This return authorization cannot be credited (status {status}).")
    lines = []
    for ln in ra.lines:
        if ln.is_closed:
            continue
        basis = ln.quantity if prefs.allow_refund_in_advance else received(store, ra, ln)
        open_qty = basis - credited(store, ra, ln)
        if open_qty > 0:
            lines.append(_copy(ln, open_qty))
    if lines:
        return _renumber(lines)
    if not prefs.allow_refund_in_advance and not any(received(store, ra, ln) for ln in ra.lines):
        raise user_error(
            "You cannot refund a return authorization before its items are received "
            "(Refund in Advance of Return is off)."
        )
    raise user_error("There is nothing left to credit on this return authorization.")


def _payment_refs(store: Store, record: Record, body: dict[str, Any]) -> None:
    for name, record_type in (("account", "account"), ("paymentMethod", "paymentMethod")):
        if body.get(name) is not None:
            record.fields[name] = store.resolve(record_type, body[name], name).ref


def to_credit_memo(
    store: Store, prefs: Preferences, ra: Record, body: dict[str, Any], replace: set[str]
) -> Record:
    lines = _credit_lines(store, prefs, ra)
    record = _new(store, "creditMemo", "CM", ra, body)
    record.lines = lines
    return record


def to_cash_refund(
    store: Store, prefs: Preferences, ra: Record, body: dict[str, Any], replace: set[str]
) -> Record:
    lines = _credit_lines(store, prefs, ra)
    record = _new(store, "cashRefund", "CR", ra, body)
    _payment_refs(store, record, body)
    record.lines = lines
    return record


def to_customer_refund(
    store: Store, prefs: Preferences, cm: Record, body: dict[str, Any], replace: set[str]
) -> Record:
    remaining = amount_remaining(store, cm, totals(cm)["total"])
    if remaining <= 0:
        raise user_error("This credit memo has no amount remaining to refund.")
    applied: list[dict[str, Any]] = []
    rows = sublist_items(body, "apply") or [{"doc": {"id": cm.id}}]
    for n, row in enumerate(rows):
        path = f"apply.items[{n}]"
        if not values.flag(row.get("apply"), f"{path}.apply", True):
            continue
        if store.resolve("creditMemo", row.get("doc"), f"{path}.doc").id != cm.id:
            raise invalid_content("Only the transformed credit memo can be applied.", f"{path}.doc")
        amount = values.money(row.get("amount", remaining), f"{path}.amount")
        if amount == 0 or amount > remaining:
            raise user_error(
                f"The amount applied ({amount}) must be more than 0 and at most the "
                f"{remaining} remaining on the credit memo.",
                f"{path}.amount",
            )
        applied.append({"doc": cm.ref, "amount": amount})
        remaining -= amount
    if not applied:
        raise user_error("You must apply the refund to at least one credit.", "apply")
    if body.get("customer") is not None:
        customer = store.resolve("customer", body["customer"], "customer").ref
        if customer != cm.fields.get("entity"):
            raise user_error("The customer does not match the credit memo's customer.", "customer")
    record = _new(store, "customerRefund", "REF", cm, body)
    record.fields["customer"] = record.fields.pop("entity", None)
    _payment_refs(store, record, body)
    record.fields["apply"] = applied
    return record


RULES: dict[tuple[str, str], Rule] = {
    ("salesOrder", "returnAuthorization"): to_return_authorization,
    ("returnAuthorization", "itemReceipt"): to_item_receipt,
    ("returnAuthorization", "creditMemo"): to_credit_memo,
    ("returnAuthorization", "cashRefund"): to_cash_refund,
    ("creditMemo", "customerRefund"): to_customer_refund,
}
TARGETS = {to_type for _, to_type in RULES}


def transform(
    store: Store,
    prefs: Preferences,
    from_type: str,
    from_id: str,
    to_type: str,
    body: dict[str, Any],
    replace: set[str],
) -> Record:
    """Validate everything, then add the record and move stock (all or nothing)."""
    rule = RULES.get((from_type, to_type))
    if rule is None:
        raise invalid_request(f"A {from_type} cannot be transformed into a {to_type}.")
    source = store.get(from_type, from_id)
    store.check_external_id(to_type, values.text(body.get("externalId"), "externalId"))
    record = rule(store, prefs, source, body, replace)
    if record.type == "itemReceipt":
        moves = [
            (ln.item, ln.location or "", ln.quantity, "item")
            for ln in record.lines
            if ln.restock  # unticked Restock writes the units off: nothing on hand
        ]
        store.move_stock(moves)
    return store.add(record)
