"""The SuiteQL the adapter sends, always with bound parameters (never values in the text).

The sandbox recognises exactly these shapes; change one here and there together.
"""

from __future__ import annotations

SALES_ORDER_BY_NAME = (
    "SELECT id, tranid, entity, status FROM transaction "
    "WHERE type = 'SalesOrd' AND (otherrefnum = ? OR tranid = ?) ORDER BY id DESC"
)

IN_CHUNK = 200  # placeholders per IN list: keeps each query small


def items_where(column: str, count: int) -> str:
    """Items by `itemid` (the SKU) or by internal `id`, for `count` bound values."""
    if column not in ("id", "itemid"):
        raise ValueError(f"unsupported item column: {column}")
    placeholders = ", ".join("?" * count)
    return f"SELECT id, itemid FROM item WHERE {column} IN ({placeholders})"


def chunks(values: list[str], size: int = IN_CHUNK) -> list[list[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]
