"""Which body field names each writable record accepts, and what happens to the others.

`X-NetSuite-PropertyNameValidation: Error` turns an unknown name into 400 INVALID_CONTENT with
its o:errorPath; Warning (NetSuite's default) and Ignore drop it (Warning says so in a header).
"""

from __future__ import annotations

from typing import Any

from .errors import invalid_content

_COMMON = {"externalId", "memo", "tranDate"}
BODY: dict[str, set[str]] = {
    "salesOrder": _COMMON
    | {"entity", "currency", "otherRefNum", "location", "orderStatus", "item", "shippingAddress"},
    "returnAuthorization": _COMMON | {"orderStatus", "location", "otherRefNum", "item"},
    "itemReceipt": _COMMON | {"location", "item"},
    "creditMemo": _COMMON | {"location"},
    "cashRefund": _COMMON | {"location", "account", "paymentMethod"},
    "customerRefund": _COMMON | {"account", "paymentMethod", "apply", "customer"},
    "inventoryTransfer": _COMMON | {"location", "transferLocation", "inventory"},
    "inventoryAdjustment": _COMMON | {"account", "adjLocation", "inventory"},
    "vendorReturnAuthorization": _COMMON | {"entity", "location", "orderStatus", "item"},
}
LINES: dict[str, set[str]] = {
    "salesOrder": {"item", "quantity", "rate", "location", "description"},
    "returnAuthorization": {
        *("orderLine", "item", "quantity", "rate", "location", "description"),
        *("line", "isClosed"),  # PATCH: close lines
    },
    "itemReceipt": {"orderLine", "item", "quantity", "location", "itemReceive", "restock"},
    "customerRefund": {"doc", "apply", "amount"},
    "inventoryTransfer": {"item", "adjustQtyBy"},
    "inventoryAdjustment": {"item", "location", "adjustQtyBy"},
    "vendorReturnAuthorization": {"item", "quantity", "rate", "location", "description"},
}
SUBLIST_KEYS = {"items"}


def _unknown(body: dict[str, Any], record_type: str, custom: tuple[str, ...]) -> list[str]:
    paths = [k for k in body if k not in BODY[record_type] and k not in custom]
    for name, value in body.items():
        if name not in BODY[record_type] or not isinstance(value, dict) or "items" not in value:
            continue
        paths += [f"{name}.{k}" for k in value if k not in SUBLIST_KEYS]
        items = value["items"] if isinstance(value["items"], list) else []
        for n, line in enumerate(items):
            if isinstance(line, dict):
                allowed = LINES.get(record_type, set())
                paths += [f"{name}.items[{n}].{k}" for k in line if k not in allowed]
    return paths


def check_names(
    body: dict[str, Any], record_type: str, mode: str, custom: tuple[str, ...] = ()
) -> list[str]:
    """The unknown names found (for a warning header); raises on mode Error. `custom` are the
    custom fields the account defines on this record type: known names like any other."""
    unknown = _unknown(body, record_type, custom)
    if unknown and mode.lower() == "error":
        raise invalid_content(f"Invalid field name: {unknown[0]}.", unknown[0])
    for path in unknown:
        if "." not in path:
            body.pop(path, None)
    return unknown


def sublist_items(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = body.get(name)
    if value is None:
        return []
    items = value.get("items") if isinstance(value, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise invalid_content(f"The sublist {name} must be {{'items': [..]}}.", name)
    return items
