"""The sandbox account's records: types, internal ids, external ids and stock on hand.

External ids are case-insensitive and unique per record *group*: every transaction type shares
one pool (an RA and its credit memo cannot both be `loop-1`), entities another. Stock is kept
per (item, location); available stock counts only locations that make inventory available.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from adapters.sandbox.catalog import CatalogItem, cents

from .errors import NsError, invalid_content, not_found, user_error

TRANSACTIONS = (
    "salesOrder",
    "returnAuthorization",
    "itemReceipt",
    "creditMemo",
    "cashRefund",
    "customerRefund",
    "inventoryTransfer",
    "inventoryAdjustment",
    "vendorReturnAuthorization",
)
OTHERS = (
    "customer",
    "vendor",
    "inventoryItem",
    "location",
    "currency",
    "account",
    "paymentMethod",
)
TYPES = {name.lower(): name for name in TRANSACTIONS + OTHERS}
_GROUPS = {"customer": "entity", "vendor": "entity", "inventoryItem": "item"}
_EXTERNAL_ID = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def canonical_type(name: str) -> str:
    """Record type names are case-insensitive in paths (`salesorder` = `salesOrder`)."""
    try:
        return TYPES[name.lower()]
    except KeyError:
        raise NsError(404, "NONEXISTENT_ID", f"Record type '{name}' does not exist.") from None


def group_of(record_type: str) -> str:
    return "transaction" if record_type in TRANSACTIONS else _GROUPS.get(record_type, record_type)


@dataclass(frozen=True)
class Ref:
    """A reference field as stored: rendered as {id, refName, links}."""

    type: str
    id: str


@dataclass
class Line:
    line: int
    item: str
    quantity: int
    rate: Decimal = Decimal(0)
    unit_tax: Decimal = Decimal(0)
    location: str | None = None
    order_line: int | None = None  # the source transaction's line (transforms)
    restock: bool | None = None
    is_closed: bool = False

    @property
    def amount(self) -> Decimal:
        return cents(self.rate * self.quantity)

    @property
    def tax(self) -> Decimal:
        return self.unit_tax * self.quantity


@dataclass
class Record:
    type: str
    id: str
    external_id: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    created_from: Ref | None = None

    @property
    def ref(self) -> Ref:
        return Ref(self.type, self.id)


class Store:
    def __init__(self) -> None:
        self.records: dict[str, dict[str, Record]] = {name: {} for name in TYPES.values()}
        self._eids: dict[str, dict[str, Record]] = {}
        self._children: dict[Ref, list[Record]] = {}
        # sales order ids by order name (otherRefNum) and number (tranId): SuiteQL's look-up of
        # an order is one per return, and a scan made it O(orders) at benchmark sizes
        self._order_names: dict[str, set[str]] = {}
        self.on_hand: dict[tuple[str, str], int] = {}
        self.tax_logic: dict[str, CatalogItem] = {}  # item id -> price and tax rate
        self.preferred_vendor: dict[str, str] = {}  # item id -> vendor id (itemVendor sublist)
        self._ids = itertools.count(1)
        self._numbers: dict[str, itertools.count[int]] = {}

    # --- ids ------------------------------------------------------------------------------

    def new_id(self, record_type: str) -> str:
        """Transactions share one internal id sequence; skip ids already taken."""
        while True:
            candidate = str(next(self._ids))
            if all(candidate not in self.records[t] for t in (*TRANSACTIONS, record_type)):
                return candidate

    def start_ids_after(self, value: int) -> None:
        self._ids = itertools.count(value + 1)

    def tran_number(self, prefix: str) -> str:
        counter = self._numbers.setdefault(prefix, itertools.count(1))
        return f"{prefix}{next(counter)}"

    # --- records --------------------------------------------------------------------------

    def check_external_id(self, record_type: str, external_id: str | None) -> None:
        if external_id is None:
            return
        if not _EXTERNAL_ID.match(external_id):
            raise invalid_content(
                "Invalid externalId: use letters, digits, '_' and '-' only.", "externalId"
            )
        if external_id.lower() in self._eids.get(group_of(record_type), {}):
            raise user_error(
                f"This record already exists. A record with external ID '{external_id}' "
                "already exists (DUP_RCRD).",
                "externalId",
            )

    def add(self, record: Record) -> Record:
        self.check_external_id(record.type, record.external_id)
        if record.type in TRANSACTIONS:  # NetSuite stamps createdDate; ledger queries window on it
            record.fields.setdefault("createdDate", datetime.now(UTC).isoformat(timespec="seconds"))
        self.records[record.type][record.id] = record
        if record.external_id:
            self._eids.setdefault(group_of(record.type), {})[record.external_id.lower()] = record
        if record.created_from is not None:
            self._children.setdefault(record.created_from, []).append(record)
        self.reindex(record)
        return record

    def reindex(self, record: Record) -> None:
        """After a write that may have changed a sales order's name or number."""
        if record.type != "salesOrder":
            return
        for name in ("otherRefNum", "tranId"):
            value = record.fields.get(name)
            if value is not None:
                self._order_names.setdefault(str(value), set()).add(record.id)

    def sales_orders_named(self, order_name: str, tran_id: str) -> list[Record]:
        """Sales orders whose otherRefNum is `order_name` or whose tranId is `tran_id`."""
        ids = self._order_names.get(order_name, set()) | self._order_names.get(tran_id, set())
        found = (self.records["salesOrder"].get(i) for i in ids)
        return [  # the index only grows: a name changed since is checked out here
            so
            for so in found
            if so is not None
            and (so.fields.get("otherRefNum") == order_name or so.fields.get("tranId") == tran_id)
        ]

    def remove(self, record: Record) -> None:
        self.records[record.type].pop(record.id, None)
        if record.external_id:
            self._eids.get(group_of(record.type), {}).pop(record.external_id.lower(), None)

    def find(self, record_type: str, record_id: str) -> Record | None:
        if record_id.lower().startswith("eid:"):
            found = self._eids.get(group_of(record_type), {}).get(record_id[4:].lower())
            return found if found is not None and found.type == record_type else None
        return self.records[record_type].get(record_id)

    def get(self, record_type: str, record_id: str) -> Record:
        record = self.find(record_type, record_id)
        if record is None:
            raise not_found(record_type, record_id)
        return record

    def resolve(self, record_type: str, value: Any, path: str) -> Record:
        """A body reference ({"id": ..} or {"externalId": ..}) to an existing record."""
        key = None
        if isinstance(value, dict):
            if value.get("id") is not None:
                key = str(value["id"])
            elif value.get("externalId") is not None:
                key = f"eid:{value['externalId']}"
        elif isinstance(value, str | int):
            key = str(value)
        record = self.find(record_type, key) if key else None
        if record is None:
            raise invalid_content(
                f"Invalid value for the reference field {path}: no {record_type} '{key}'.", path
            )
        return record

    def children(self, record: Record, *types: str) -> list[Record]:
        kids = self._children.get(record.ref, [])
        return [r for r in kids if r.id in self.records[r.type] and (not types or r.type in types)]

    # --- stock ----------------------------------------------------------------------------

    def move_stock(self, moves: list[tuple[str, str, int, str]]) -> None:
        """Apply (item, location, delta, errorPath) moves all or nothing: no negative stock."""
        levels: dict[tuple[str, str], int] = {}
        for item, location, delta, path in moves:
            key = (item, location)
            levels[key] = levels.get(key, self.on_hand.get(key, 0)) + delta
            if levels[key] < 0:
                raise user_error(
                    f"You cannot remove more than the {self.on_hand.get(key, 0)} on hand of "
                    f"item {item} at location {location}.",
                    path,
                )
        self.on_hand.update(levels)

    def available(self, location: str) -> bool:
        record = self.records["location"].get(location)
        return bool(record and record.fields.get("makeInventoryAvailable"))


@dataclass
class Preferences:
    """Account preferences the rules depend on."""

    allow_refund_in_advance: bool = False  # credit an RA before its goods are received
    main_location_id: str = "1"
    holding_location_id: str = "2"
    default_currency_id: str = "2"  # GBP, the demo shop's currency
    # checkbox custom body fields defined on return authorizations (Customization > Entry Forms)
    ra_checkboxes: tuple[str, ...] = ("custbody_rf_review",)
