"""Plain creates (`POST {type}`) and the one upsert form (`PUT {type}/eid:{externalId}`).

Inventory transfers move units between locations (holding -> main after a good inspection);
inventory adjustments write units off (scrap); vendor return authorizations ask a vendor to take
units back (stock leaves only when the VRA is shipped, so it stays put here). Sales orders can be
created or upserted by external id (exchange orders). PATCH closes return-authorization lines.
"""

from __future__ import annotations

from typing import Any

from . import values
from .errors import invalid_content, invalid_request, user_error
from .schema import sublist_items
from .seed import priced_line
from .store import Preferences, Record, Ref, Store


def _header(store: Store, record_type: str, prefix: str, body: dict[str, Any]) -> Record:
    record = Record(
        record_type,
        store.new_id(record_type),
        external_id=values.text(body.get("externalId"), "externalId"),
    )
    record.fields["tranId"] = store.tran_number(prefix)
    memo = values.text(body.get("memo"), "memo")
    if memo is not None:
        record.fields["memo"] = memo
    return record


def _required(store: Store, record_type: str, body: dict[str, Any], name: str, label: str) -> Ref:
    if body.get(name) is None:
        raise user_error(f"Please enter value(s) for: {label}", name)
    return store.resolve(record_type, body[name], name).ref


def inventory_transfer(store: Store, prefs: Preferences, body: dict[str, Any]) -> Record:
    source = _required(store, "location", body, "location", "From Location")
    target = _required(store, "location", body, "transferLocation", "To Location")
    if source == target:
        raise user_error("The From and To locations must differ.", "transferLocation")
    record = _header(store, "inventoryTransfer", "IT", body)
    record.fields.update(location=source, transferLocation=target)
    moves = []
    for n, row in enumerate(sublist_items(body, "inventory")):
        path = f"inventory.items[{n}]"
        item = store.resolve("inventoryItem", row.get("item"), f"{path}.item").id
        qty = values.whole(row.get("adjustQtyBy"), f"{path}.adjustQtyBy")
        record.lines.append(priced_line(store, n + 1, item, qty, store.tax_logic[item].price))
        moves += [(item, source.id, -qty, path), (item, target.id, qty, path)]
    if not record.lines:
        raise user_error("You must enter at least one line item for this transaction.", "inventory")
    store.move_stock(moves)
    return store.add(record)


def inventory_adjustment(store: Store, prefs: Preferences, body: dict[str, Any]) -> Record:
    account = _required(store, "account", body, "account", "Adjustment Account")
    default = body.get("adjLocation")
    record = _header(store, "inventoryAdjustment", "IA", body)
    record.fields["account"] = account
    if default is not None:
        record.fields["adjLocation"] = store.resolve("location", default, "adjLocation").ref
    moves = []
    for n, row in enumerate(sublist_items(body, "inventory")):
        path = f"inventory.items[{n}]"
        item = store.resolve("inventoryItem", row.get("item"), f"{path}.item").id
        qty = values.whole(row.get("adjustQtyBy"), f"{path}.adjustQtyBy", minimum=None)
        where = row.get("location", default)
        if where is None:
            raise user_error("Please enter value(s) for: Location", f"{path}.location")
        location = store.resolve("location", where, f"{path}.location").id
        line = priced_line(store, n + 1, item, qty, store.tax_logic[item].price)
        line.location = location
        record.lines.append(line)
        moves.append((item, location, qty, path))
    if not record.lines:
        raise user_error("You must enter at least one line item for this transaction.", "inventory")
    store.move_stock(moves)
    return store.add(record)


def vendor_return_authorization(store: Store, prefs: Preferences, body: dict[str, Any]) -> Record:
    vendor = _required(store, "vendor", body, "entity", "Vendor")
    default = body.get("location")
    record = _header(store, "vendorReturnAuthorization", "VRA", body)
    record.fields.update(entity=vendor, status="B")  # approved: Pending Return
    if default is not None:
        record.fields["location"] = store.resolve("location", default, "location").ref
    for n, row in enumerate(sublist_items(body, "item")):
        path = f"item.items[{n}]"
        item = store.resolve("inventoryItem", row.get("item"), f"{path}.item").id
        qty = values.whole(row.get("quantity"), f"{path}.quantity")
        where = row.get("location", default)
        if where is None:
            raise user_error("Please enter value(s) for: Location", f"{path}.location")
        rate = values.money(row.get("rate", 0), f"{path}.rate")
        line = priced_line(store, n + 1, item, qty, rate)
        line.location = store.resolve("location", where, f"{path}.location").id
        if store.on_hand.get((item, line.location), 0) < qty:
            raise user_error(
                f"Only {store.on_hand.get((item, line.location), 0)} of item {item} are on hand "
                f"at location {line.location}.",
                f"{path}.quantity",
            )
        record.lines.append(line)
    if not record.lines:
        raise user_error("You must enter at least one line item for this transaction.", "item")
    return store.add(record)


_ADDRESS_FIELDS = ("addressee", "addr1", "addr2", "city", "state", "zip", "country", "addrPhone")


def _address(value: Any, path: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise user_error(f"Invalid value for the field {path}.", path)
    unknown = [k for k in value if k not in _ADDRESS_FIELDS]
    if unknown:
        raise user_error(f"Invalid field name: {path}.{unknown[0]}.", f"{path}.{unknown[0]}")
    return {k: str(values.text(v, f"{path}.{k}")) for k, v in value.items() if v is not None}


def _order_fields(store: Store, prefs: Preferences, record: Record, body: dict[str, Any]) -> None:
    if body.get("entity") is not None or "entity" not in record.fields:
        record.fields["entity"] = _required(store, "customer", body, "entity", "Customer")
    if body.get("currency") is not None:
        record.fields["currency"] = store.resolve("currency", body["currency"], "currency").ref
    record.fields.setdefault("currency", Ref("currency", prefs.default_currency_id))
    if body.get("location") is not None:
        record.fields["location"] = store.resolve("location", body["location"], "location").ref
    record.fields.setdefault("location", Ref("location", prefs.main_location_id))
    for name in ("otherRefNum", "memo"):
        if body.get(name) is not None:
            record.fields[name] = values.text(body[name], name)
    if body.get("shippingAddress") is not None:
        record.fields["shippingAddress"] = _address(body["shippingAddress"], "shippingAddress")
    if "item" not in body and record.lines:
        return
    lines = []
    for n, row in enumerate(sublist_items(body, "item")):
        path = f"item.items[{n}]"
        found = store.resolve("inventoryItem", row.get("item"), f"{path}.item")
        if found.fields.get("isInactive"):  # inactive items cannot be sold on new orders
            raise invalid_content(
                f"Invalid value for the reference field {path}.item: item {found.id} is inactive.",
                f"{path}.item",
            )
        item = found.id
        qty = values.whole(row.get("quantity"), f"{path}.quantity")
        rate = values.money(row.get("rate", store.tax_logic[item].price), f"{path}.rate")
        line = priced_line(store, 1 + 2 * n, item, qty, rate)
        line.location = record.fields["location"].id
        lines.append(line)
    if not lines:
        raise user_error("You must enter at least one line item for this transaction.", "item")
    record.lines = lines


def sales_order(store: Store, prefs: Preferences, body: dict[str, Any]) -> Record:
    store.check_external_id("salesOrder", values.text(body.get("externalId"), "externalId"))
    record = Record("salesOrder", store.new_id("salesOrder"))
    record.external_id = values.text(body.get("externalId"), "externalId")
    _order_fields(store, prefs, record, body)
    record.fields.update(tranId=f"SO{record.id}", status="B")  # Pending Fulfillment
    return store.add(record)


def upsert_sales_order(
    store: Store, prefs: Preferences, external_id: str, body: dict[str, Any]
) -> Record:
    existing = store.find("salesOrder", f"eid:{external_id}")
    if existing is None:
        return sales_order(store, prefs, {**body, "externalId": external_id})
    draft = Record(existing.type, existing.id, existing.external_id, dict(existing.fields))
    draft.lines = list(existing.lines)
    _order_fields(store, prefs, draft, body)  # validate on a copy: all or nothing
    existing.fields, existing.lines = draft.fields, draft.lines
    store.reindex(existing)
    return existing


CREATES = {
    "inventoryTransfer": inventory_transfer,
    "inventoryAdjustment": inventory_adjustment,
    "salesOrder": sales_order,
    "vendorReturnAuthorization": vendor_return_authorization,
}


def patch(
    store: Store, prefs: Preferences, record_type: str, record_id: str, body: dict[str, Any]
) -> Record:
    """PATCH merges: header memo, the account's checkbox custom fields, and
    return-authorization lines matched by `line` (isClosed)."""
    if record_type != "returnAuthorization":
        raise invalid_request(f"The sandbox cannot update a {record_type}.")
    record = store.get(record_type, record_id)
    checks = {n: values.flag(body[n], n, False) for n in prefs.ra_checkboxes if n in body}
    closes: list[int] = []
    for n, row in enumerate(sublist_items(body, "item")):
        path = f"item.items[{n}]"
        number = values.whole(row.get("line"), f"{path}.line")
        if not any(ln.line == number for ln in record.lines):
            raise user_error(f"Invalid value for the field {path}.line: {number}.", f"{path}.line")
        if values.flag(row.get("isClosed"), f"{path}.isClosed", False):
            closes.append(number)
    memo = values.text(body.get("memo"), "memo")
    for line in record.lines:  # everything validated: apply all at once
        line.is_closed = line.is_closed or line.line in closes
    if memo is not None:
        record.fields["memo"] = memo
    record.fields.update(checks)
    return record


def create(store: Store, prefs: Preferences, record_type: str, body: dict[str, Any]) -> Record:
    writer = CREATES.get(record_type)
    if writer is None:
        raise invalid_request(f"The sandbox cannot create a {record_type} with POST.")
    store.check_external_id(record_type, values.text(body.get("externalId"), "externalId"))
    return writer(store, prefs, body)


def upsert(
    store: Store, prefs: Preferences, record_type: str, record_id: str, body: dict[str, Any]
) -> Record:
    if record_type != "salesOrder" or not record_id.lower().startswith("eid:"):
        raise invalid_request("The sandbox upserts only salesOrder by eid:<externalId>.")
    return upsert_sales_order(store, prefs, record_id[4:], body)
