"""Request bodies for stock moves after inspection, and availability from SuiteQL rows.

Pure functions: the adapter does the I/O. Units received sit on hand in the non-nettable
holding location; only these documents move them on:
- restock / refurbish: inventoryTransfer holding -> target (the only way stock becomes sellable)
- scrap: inventoryAdjustment writing the units off against an adjustment account, reason in memo
- return to vendor: vendorReturnAuthorization to the item's preferred vendor (the units leave
  holding when the VRA is shipped, an item fulfilment outside returnflow's scope)
"""

from __future__ import annotations

from typing import Any

from adapters.errors import BusinessError
from workflows.model import Availability, DispositionRequest, ErpLineRequest

from .mapping import quantity


def _ref(value: str) -> dict[str, str]:
    return {"id": value}


def _memo(request: DispositionRequest) -> str:
    reason = f": {request.reason}" if request.reason else ""
    return f"Loop return {request.return_id} {request.disposition.value}{reason}"[:999]


def _inventory(request: DispositionRequest, sign: int, location: str | None) -> dict[str, Any]:
    """The `inventory` sublist: units per item, negative for a write-off."""
    rows: list[dict[str, Any]] = []
    for line in request.lines:
        row: dict[str, Any] = {"item": _ref(line.item_id), "adjustQtyBy": sign * line.quantity}
        if location is not None:
            row["location"] = _ref(location)
        rows.append(row)
    return {"items": rows}


def transfer(request: DispositionRequest, source: str, target: str) -> dict[str, Any]:
    return {
        "externalId": request.external_id,
        "memo": _memo(request),
        "location": _ref(source),
        "transferLocation": _ref(target),
        "inventory": _inventory(request, 1, None),
    }


def write_off(request: DispositionRequest, source: str, account: str) -> dict[str, Any]:
    return {
        "externalId": request.external_id,
        "memo": _memo(request),
        "account": _ref(account),
        "adjLocation": _ref(source),
        "inventory": _inventory(request, -1, source),
    }


def vendor_return(
    request: DispositionRequest, source: str, vendor: str, lines: list[ErpLineRequest]
) -> dict[str, Any]:
    return {
        "externalId": request.external_id,
        "memo": _memo(request),
        "entity": _ref(vendor),
        "location": _ref(source),
        "orderStatus": _ref("B"),
        "item": {
            "items": [
                {"item": _ref(line.item_id), "quantity": line.quantity, "location": _ref(source)}
                for line in lines
            ]
        },
    }


def one_vendor(request: DispositionRequest, vendors: dict[str, str]) -> str:
    """A VRA goes to one vendor; lines of several vendors need one request per vendor."""
    missing = sorted({ln.item_id for ln in request.lines} - set(vendors))
    if missing:
        raise BusinessError(
            f"NetSuite items {missing} have no preferred vendor to return them to",
            code="NO_PREFERRED_VENDOR",
            details={"items": missing},
        )
    found = sorted({vendors[ln.item_id] for ln in request.lines})
    if len(found) > 1:
        raise BusinessError(
            f"return-to-vendor lines belong to several vendors {found}: split the request",
            code="SEVERAL_VENDORS",
            details={"vendors": found},
        )
    return found[0]


def availability(
    item_ids: list[str], stock: list[dict[str, str]], flags: list[dict[str, str]]
) -> list[Availability]:
    """Available units at the sellable location; sellable = active and shown on the web store.

    An item NetSuite does not return at all is reported as 0 available and not sellable.
    """
    available = {row["item"]: quantity(row.get("quantityavailable") or 0) for row in stock}
    by_id = {row["id"]: row for row in flags}
    result = []
    for item_id in item_ids:
        row = by_id.get(item_id)
        sellable = row is not None and row.get("isinactive") != "T" and row.get("isonline") == "T"
        result.append(
            Availability(item_id=item_id, available=available.get(item_id, 0), sellable=sellable)
        )
    return result
