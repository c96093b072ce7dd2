"""The SuiteQL the adapter sends, always with bound parameters (never values in the text).

The sandbox recognises exactly these shapes; change one here and there together.
"""

from __future__ import annotations

import re

SALES_ORDER_BY_NAME = (
    "SELECT id, tranid, entity, status FROM transaction "
    "WHERE type = 'SalesOrd' AND (otherrefnum = ? OR tranid = ?) ORDER BY id DESC"
)

IN_CHUNK = 200  # placeholders per IN list: keeps each query small


def items_where(column: str, count: int) -> str:
    """Items by `itemid` (the SKU) or by internal `id`, for `count` bound values."""
    if column not in ("id", "itemid"):
        raise ValueError(f"unsupported item column: {column}")
    return f"SELECT id, itemid FROM item WHERE {column} IN ({_placeholders(count)})"


def chunks(values: list[str], size: int = IN_CHUNK) -> list[list[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _placeholders(count: int) -> str:
    return ", ".join("?" * count)


def stock_at_location(count: int) -> str:
    """Per item: on hand and available at one location; params = [location, *item ids]."""
    return (
        "SELECT item, location, quantityonhand, quantityavailable FROM inventoryitemlocations "
        f"WHERE location = ? AND item IN ({_placeholders(count)})"
    )


def item_flags(count: int) -> str:
    """Inactive and "Display in Web Site" (the web-sale flag), 'T'/'F', by internal id."""
    return f"SELECT id, itemid, isinactive, isonline FROM item WHERE id IN ({_placeholders(count)})"


def preferred_vendors(count: int) -> str:
    return (
        "SELECT item, vendor FROM itemvendor WHERE preferredvendor = 'T' "
        f"AND item IN ({_placeholders(count)})"
    )


CURRENCY_BY_SYMBOL = "SELECT id FROM currency WHERE symbol = ?"

# Times bind as text in the account's time zone (UTC for returnflow's integration role).
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
TRANSACTIONS_IN_WINDOW = (
    "SELECT id, tranid, externalid, status, foreigntotal, currency, "
    "TO_CHAR(createddate, 'YYYY-MM-DD HH24:MI:SS') AS created FROM transaction "
    "WHERE type = ? AND createddate >= TO_TIMESTAMP(?, 'YYYY-MM-DD HH24:MI:SS') "
    "AND createddate < TO_TIMESTAMP(?, 'YYYY-MM-DD HH24:MI:SS') ORDER BY id"
)


def ra_statuses(review_field: str, count: int) -> str:
    """RAs by external id with their status letter and the review checkbox ('T'/'F')."""
    if not re.fullmatch(r"custbody[a-z0-9_]*", review_field):
        raise ValueError(f"not a custom body field id: {review_field!r}")
    return (
        f"SELECT id, externalid, status, {review_field} AS review FROM transaction "
        f"WHERE type = 'RtnAuth' AND externalid IN ({_placeholders(count)})"
    )
