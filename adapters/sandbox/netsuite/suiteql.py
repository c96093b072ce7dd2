"""SuiteQL without a SQL engine: a table of the query shapes returnflow sends, each answered
from the store in SuiteQL's reply shape (lower-case columns, values as strings, paging).

Queries are matched after normalising whitespace and case; `{in}` stands for an IN list of
bound parameters. Anything else is 400 INVALID_REQUEST, as an unsupported query would be.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from .errors import invalid_request
from .render import totals
from .status import ra_status, status_of
from .store import Record, Store

Row = dict[str, str]
Handler = Callable[..., list[Row]]  # (store, params, **named parts of the shape)


def _normalise(query: str) -> str:
    query = re.sub(r"\s+", " ", query.strip().rstrip(";")).lower()
    return re.sub(r"\s*([=(),])\s*", r"\1", query)


def _shape(text: str) -> re.Pattern[str]:
    pattern = re.escape(_normalise(text)).replace(re.escape("{in}"), r"\?(?:,\?)*")
    pattern = pattern.replace(re.escape("{field}"), r"(?P<field>custbody[a-z0-9_]*)")
    return re.compile(f"^{pattern}$")


def _sales_orders_by_name(store: Store, params: list[str]) -> list[Row]:
    orders = store.sales_orders_named(params[0], params[1])
    orders.sort(key=lambda so: int(so.id) if so.id.isdigit() else 0, reverse=True)
    return [
        {
            "id": so.id,
            "tranid": str(so.fields["tranId"]),
            "entity": so.fields["entity"].id,
            "status": str(so.fields.get("status", "B")),
        }
        for so in orders
    ]


def _items_by(column: str) -> Handler:
    def handler(store: Store, params: list[str]) -> list[Row]:
        wanted = set(params)
        items = store.records["inventoryItem"].values()
        key = (lambda r: r.id) if column == "id" else (lambda r: str(r.fields["itemId"]))
        found = [{"id": r.id, "itemid": str(r.fields["itemId"])} for r in items if key(r) in wanted]
        return sorted(found, key=lambda row: int(row["id"]) if row["id"].isdigit() else 0)

    return handler


def _stock(store: Store, params: list[str]) -> list[Row]:
    rows = []
    for (item, location), on_hand in sorted(store.on_hand.items()):
        if item == params[0]:
            available = on_hand if store.available(location) else 0
            rows.append(
                {
                    "item": item,
                    "location": location,
                    "quantityonhand": str(on_hand),
                    "quantityavailable": str(available),
                }
            )
    return rows


def _flag(value: Any) -> str:
    return "T" if value else "F"


def _stock_at(store: Store, params: list[str]) -> list[Row]:
    location, items = params[0], set(params[1:])
    available = store.available(location)
    return [
        {
            "item": item,
            "location": location,
            "quantityonhand": str(store.on_hand.get((item, location), 0)),
            "quantityavailable": str(store.on_hand.get((item, location), 0) if available else 0),
        }
        for item in sorted(items, key=lambda i: int(i) if i.isdigit() else 0)
        if item in store.records["inventoryItem"]
    ]


def _item_flags(store: Store, params: list[str]) -> list[Row]:
    wanted = set(params)
    return [
        {
            "id": r.id,
            "itemid": str(r.fields["itemId"]),
            "isinactive": _flag(r.fields.get("isInactive")),
            "isonline": _flag(r.fields.get("isOnline")),
        }
        for r in store.records["inventoryItem"].values()
        if r.id in wanted
    ]


def _preferred_vendors(store: Store, params: list[str]) -> list[Row]:
    return [
        {"item": item, "vendor": store.preferred_vendor[item]}
        for item in params
        if item in store.preferred_vendor
    ]


def _currency_by_symbol(store: Store, params: list[str]) -> list[Row]:
    return [
        {"id": r.id}
        for r in store.records["currency"].values()
        if str(r.fields.get("symbol", "")).upper() == params[0].upper()
    ]


TYPE_CODES = {
    "salesOrder": "SalesOrd",
    "returnAuthorization": "RtnAuth",
    "itemReceipt": "ItemRcpt",
    "creditMemo": "CustCred",
    "cashRefund": "CashRfnd",
    "customerRefund": "CustRfnd",
    "inventoryTransfer": "InvTrnfr",
    "inventoryAdjustment": "InvAdjst",
    "vendorReturnAuthorization": "VendAuth",
}
_SIGNED = {"creditMemo", "cashRefund"}  # SuiteQL reports these totals negative


def _timestamp(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.replace(" ", "T")).replace(tzinfo=None)
    except ValueError:
        raise invalid_request(f"Invalid timestamp {value!r}: use YYYY-MM-DD HH24:MI:SS.") from None


def _ledger_row(store: Store, record: Record) -> Row:
    amounts = totals(record)
    status = status_of(store, record, amounts.get("total", Decimal(0)))
    created = _timestamp(str(record.fields["createdDate"])[:19])
    row = {
        "id": record.id,
        "tranid": str(record.fields.get("tranId", "")),
        "status": status[0] if status else "",
        "created": created.strftime("%Y-%m-%d %H:%M:%S"),
    }
    if record.external_id:
        row["externalid"] = record.external_id
    if "total" in amounts:
        total = -amounts["total"] if record.type in _SIGNED else amounts["total"]
        row["foreigntotal"] = str(total)
    currency = record.fields.get("currency")
    if currency is not None:
        row["currency"] = currency.id
    return row


def _ra_statuses(store: Store, params: list[str], field: str) -> list[Row]:
    """Return authorizations by external id (case-insensitive, as NetSuite compares them)."""
    wanted = {p.lower() for p in params}
    rows = [
        {
            "id": ra.id,
            "externalid": ra.external_id or "",
            "status": ra_status(store, ra),
            "review": _flag(ra.fields.get(field)),
        }
        for ra in store.records["returnAuthorization"].values()
        if (ra.external_id or "").lower() in wanted
    ]
    return sorted(rows, key=lambda row: int(row["id"]) if row["id"].isdigit() else 0)


def _transactions_in_window(store: Store, params: list[str]) -> list[Row]:
    record_type = next((t for t, code in TYPE_CODES.items() if code == params[0]), None)
    if record_type is None:
        return []
    since, until = _timestamp(params[1]), _timestamp(params[2])
    rows = [
        _ledger_row(store, r)
        for r in store.records[record_type].values()
        if since <= _timestamp(str(r.fields["createdDate"])[:19]) < until
    ]
    return sorted(rows, key=lambda row: int(row["id"]) if row["id"].isdigit() else 0)


SHAPES: list[tuple[re.Pattern[str], Handler]] = [
    (
        _shape(
            "SELECT id, tranid, entity, status FROM transaction WHERE type = 'SalesOrd' "
            "AND (otherrefnum = ? OR tranid = ?) ORDER BY id DESC"
        ),
        _sales_orders_by_name,
    ),
    (_shape("SELECT id, itemid FROM item WHERE itemid IN ({in})"), _items_by("itemid")),
    (_shape("SELECT id, itemid FROM item WHERE id IN ({in})"), _items_by("id")),
    (
        _shape(
            "SELECT item, location, quantityonhand, quantityavailable "
            "FROM inventoryitemlocations WHERE item = ?"
        ),
        _stock,
    ),
    (
        _shape(
            "SELECT item, location, quantityonhand, quantityavailable "
            "FROM inventoryitemlocations WHERE location = ? AND item IN ({in})"
        ),
        _stock_at,
    ),
    (_shape("SELECT id, itemid, isinactive, isonline FROM item WHERE id IN ({in})"), _item_flags),
    (
        _shape(
            "SELECT item, vendor FROM itemvendor WHERE preferredvendor = 'T' AND item IN ({in})"
        ),
        _preferred_vendors,
    ),
    (_shape("SELECT id FROM currency WHERE symbol = ?"), _currency_by_symbol),
    (
        _shape(
            "SELECT id, tranid, externalid, status, foreigntotal, currency, "
            "TO_CHAR(createddate, 'YYYY-MM-DD HH24:MI:SS') AS created FROM transaction "
            "WHERE type = ? AND createddate >= TO_TIMESTAMP(?, 'YYYY-MM-DD HH24:MI:SS') "
            "AND createddate < TO_TIMESTAMP(?, 'YYYY-MM-DD HH24:MI:SS') ORDER BY id"
        ),
        _transactions_in_window,
    ),
    (
        _shape(
            "SELECT id, externalid, status, {field} AS review FROM transaction "
            "WHERE type = 'RtnAuth' AND externalid IN ({in})"
        ),
        _ra_statuses,
    ),
]


def run(
    store: Store,
    body: Any,
    limit: int,
    offset: int,
    self_url: str,
    custom: tuple[str, ...] = (),
) -> dict[str, Any]:
    """`custom`: the custom fields the account defines, the only custbody names a query may use."""
    if not isinstance(body, dict) or not isinstance(body.get("q"), str):
        raise invalid_request('The request body must be {"q": "SELECT ...", "params": [...]}.')
    params = body.get("params") or []
    if not isinstance(params, list):
        raise invalid_request("params must be a list.")
    query = _normalise(body["q"])
    if query.count("?") != len(params):
        raise invalid_request(
            f"The query has {query.count('?')} parameters but {len(params)} values were bound."
        )
    found = next(((m, h) for pattern, h in SHAPES if (m := pattern.match(query))), None)
    if found is None:
        raise invalid_request(f"Invalid search query: the sandbox does not know '{body['q']}'.")
    match, handler = found
    named = match.groupdict()
    if named.get("field") is not None and named["field"] not in custom:
        raise invalid_request(f"Invalid search query: unknown field {named['field']}.")
    if not 1 <= limit <= 1000 or offset < 0 or offset % limit:
        raise invalid_request("limit must be 1..1000 and offset a multiple of limit.")
    rows = handler(store, [str(p) for p in params], **named)
    page = rows[offset : offset + limit]
    has_more = offset + limit < len(rows)
    links = [{"rel": "self", "href": self_url}]
    if has_more:
        base = self_url.split("?", 1)[0]
        links.append({"rel": "next", "href": f"{base}?limit={limit}&offset={offset + limit}"})
    return {
        "links": links,
        "count": len(page),
        "hasMore": has_more,
        "offset": offset,
        "totalResults": len(rows),
        "items": [{"links": [], **row} for row in page],
    }
