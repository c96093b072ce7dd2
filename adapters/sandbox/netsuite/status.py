"""Statuses NetSuite derives from a record's children (Advanced Receiving ON).

An RA is approved by `orderStatus`, received by item receipts, credited by credit memos or cash
refunds; its status letter follows from those quantities, never from a stored field.
"""

from __future__ import annotations

from decimal import Decimal

from .store import Line, Record, Store

RA_NAMES = {
    "A": "Pending Approval",
    "B": "Pending Receipt",
    "C": "Cancelled",
    "D": "Partially Received",
    "E": "Pending Refund/Partially Received",
    "F": "Pending Refund",
    "G": "Refunded",
    "H": "Closed",
}
SO_NAMES = {
    "A": "Pending Approval",
    "B": "Pending Fulfillment",
    "C": "Cancelled",
    "D": "Partially Fulfilled",
    "E": "Pending Billing/Partially Fulfilled",
    "F": "Pending Billing",
    "G": "Billed",
    "H": "Closed",
}
CREDIT_NAMES = {"A": "Open", "B": "Fully Applied"}
VRA_NAMES = {"A": "Pending Approval", "B": "Pending Return", "C": "Cancelled", "H": "Closed"}
CREDITS = ("creditMemo", "cashRefund")


def received(store: Store, ra: Record, line: Line) -> int:
    return sum(
        ln.quantity
        for receipt in store.children(ra, "itemReceipt")
        for ln in receipt.lines
        if ln.order_line == line.line
    )


def credited(store: Store, ra: Record, line: Line) -> int:
    return sum(
        ln.quantity
        for credit in store.children(ra, *CREDITS)
        for ln in credit.lines
        if ln.order_line == line.line
    )


def authorized(store: Store, so: Record, line: Line) -> int:
    """Units of a sales-order line already on live return authorizations."""
    return sum(
        ln.quantity
        for ra in store.children(so, "returnAuthorization")
        if ra_status(store, ra) not in ("C", "H")
        for ln in ra.lines
        if ln.order_line == line.line and not ln.is_closed
    )


def ra_status(store: Store, ra: Record) -> str:
    if ra.fields.get("cancelled"):
        return "C"
    open_lines = [ln for ln in ra.lines if not ln.is_closed]
    if not open_lines:
        return "H"
    if ra.fields.get("orderStatus") == "A":
        return "A"
    wanted = sum(ln.quantity for ln in open_lines)
    got = sum(received(store, ra, ln) for ln in open_lines)
    paid = sum(credited(store, ra, ln) for ln in open_lines)
    if paid >= wanted and got >= wanted:
        return "G"
    if got >= wanted:
        return "F"
    if got == 0:
        return "B"
    return "E" if paid else "D"


def amount_remaining(store: Store, credit: Record, total: Decimal) -> Decimal:
    applied = sum(
        (
            Decimal(str(a["amount"]))
            for refund in store.children(credit, "customerRefund")
            for a in refund.fields.get("apply", [])
            if a["doc"] == credit.ref
        ),
        Decimal(0),
    )
    return total - applied


def status_of(store: Store, record: Record, total: Decimal) -> tuple[str, str] | None:
    """(letter, name) for the record types that have a status."""
    if record.type == "returnAuthorization":
        letter = ra_status(store, record)
        return letter, RA_NAMES[letter]
    if record.type == "salesOrder":
        letter = str(record.fields.get("status", "B"))
        return letter, SO_NAMES[letter]
    if record.type == "vendorReturnAuthorization":
        letter = str(record.fields.get("status", "B"))
        return letter, VRA_NAMES[letter]
    if record.type == "creditMemo":
        letter = "B" if amount_remaining(store, record, total) <= 0 else "A"
        return letter, CREDIT_NAMES[letter]
    return None
