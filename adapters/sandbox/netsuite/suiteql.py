"""SuiteQL without a SQL engine: a table of the query shapes returnflow sends, each answered
from the store in SuiteQL's reply shape (lower-case columns, values as strings, paging).

Queries are matched after normalising whitespace and case; `{in}` stands for an IN list of
bound parameters. Anything else is 400 INVALID_REQUEST, as an unsupported query would be.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .errors import invalid_request
from .store import Store

Row = dict[str, str]
Handler = Callable[[Store, list[str]], list[Row]]


def _normalise(query: str) -> str:
    query = re.sub(r"\s+", " ", query.strip().rstrip(";")).lower()
    return re.sub(r"\s*([=(),])\s*", r"\1", query)


def _shape(text: str) -> re.Pattern[str]:
    pattern = re.escape(_normalise(text)).replace(re.escape("{in}"), r"\?(?:,\?)*")
    return re.compile(f"^{pattern}$")


def _sales_orders_by_name(store: Store, params: list[str]) -> list[Row]:
    orders = [
        so
        for so in store.records["salesOrder"].values()
        if so.fields.get("otherRefNum") == params[0] or so.fields.get("tranId") == params[1]
    ]
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
]


def run(store: Store, body: Any, limit: int, offset: int, self_url: str) -> dict[str, Any]:
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
    handler = next((h for pattern, h in SHAPES if pattern.match(query)), None)
    if handler is None:
        raise invalid_request(f"Invalid search query: the sandbox does not know '{body['q']}'.")
    if not 1 <= limit <= 1000 or offset < 0 or offset % limit:
        raise invalid_request("limit must be 1..1000 and offset a multiple of limit.")
    rows = handler(store, [str(p) for p in params])
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
