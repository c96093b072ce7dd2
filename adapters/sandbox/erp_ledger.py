"""What the Khaos and Prima sandboxes share: a document index and stock per location.

Every document carries the caller's reference (Khaos ASSOCIATED_REF, Prima ReturnRef/UniqueId),
unique per document type: that is how a repeated create finds the first one. Stock moves are
all or nothing and never take a location below zero.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from adapters.sandbox.catalog import Catalog

DEFAULT_PAGE = 100


class StockShortage(ValueError):
    """A move would take a location below zero (or take stock from where there is none)."""


@dataclass
class Doc:
    type: str
    code: str
    ref: str | None
    status: str
    amount: Decimal | None = None
    currency: str | None = None
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    data: dict[str, Any] = field(default_factory=dict)

    def dump(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "code": self.code,
            "ref": self.ref,
            "status": self.status,
            "amount": None if self.amount is None else str(self.amount),
            "currency": self.currency,
            "created": self.created.isoformat(),
            **plain(self.data),
        }


def plain(value: Any) -> Any:
    """JSON-ready without floats: Decimals become strings."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


class Ledger:
    def __init__(self) -> None:
        self.docs: dict[str, Doc] = {}
        self._refs: dict[tuple[str, str], Doc] = {}
        self._numbers: dict[str, itertools.count[int]] = {}

    def next_code(self, prefix: str) -> str:
        return f"{prefix}{next(self._numbers.setdefault(prefix, itertools.count(1))):05d}"

    def add(self, doc: Doc) -> Doc:
        self.docs[doc.code] = doc
        if doc.ref:
            self._refs[(doc.type, doc.ref.lower())] = doc
        return doc

    def by_ref(self, doc_type: str, ref: str) -> Doc | None:
        return self._refs.get((doc_type, ref.lower()))

    def get(self, code: str, doc_type: str | None = None) -> Doc | None:
        doc = self.docs.get(code)
        return doc if doc is not None and (doc_type is None or doc.type == doc_type) else None

    def listing(
        self, doc_type: str | None, since: datetime | None, until: datetime | None
    ) -> list[Doc]:
        """Documents in creation order, filtered by type and [since, until)."""
        return [
            d
            for d in self.docs.values()
            if (doc_type is None or d.type == doc_type)
            and (since is None or d.created >= since)
            and (until is None or d.created < until)
        ]


@dataclass(frozen=True)
class Query:
    """A document listing as both ERPs' list calls ask for it, one page at a time."""

    doc_type: str | None = None
    ref: str | None = None
    code: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    start: int = 0


def page(ledger: Ledger, query: Query, size: int) -> tuple[list[Doc], int | None]:
    """One page of matching documents and where the next starts (None: this is the last)."""
    docs = ledger.listing(query.doc_type, query.since, query.until)
    if query.ref:
        docs = [d for d in docs if (d.ref or "").lower() == query.ref.lower()]
    if query.code:
        docs = [d for d in docs if d.code == query.code]
    chunk = docs[query.start : query.start + size]
    following = query.start + len(chunk)
    return chunk, following if following < len(docs) else None


class StockLevels:
    def __init__(self) -> None:
        self.levels: dict[tuple[str, str], int] = {}

    def level(self, item: str, location: str) -> int:
        return self.levels.get((item, location), 0)

    def move(self, moves: list[tuple[str, str, int]]) -> None:
        """Apply (item, location, delta) moves together, or none of them."""
        after: dict[tuple[str, str], int] = {}
        for item, location, delta in moves:
            key = (item, location)
            after[key] = after.get(key, self.levels.get(key, 0)) + delta
            if after[key] < 0:
                raise StockShortage(
                    f"only {self.levels.get(key, 0)} of {item} in location {location}"
                )
        self.levels.update(after)

    def dump(self) -> list[dict[str, Any]]:
        return [
            {"item": item, "location": location, "level": level}
            for (item, location), level in sorted(self.levels.items())
        ]


@dataclass
class ErpWorld:
    """One sandbox ERP's data: its catalog, documents and stock. `reset` starts it over."""

    catalog: Catalog
    ledger: Ledger = field(default_factory=Ledger)
    stock: StockLevels = field(default_factory=StockLevels)
    page_size: int = DEFAULT_PAGE  # documents per page of the list calls

    def seed(self) -> None:
        """Load the catalog's items, customers and orders (the subclass's own records)."""
        raise NotImplementedError

    def reset(self) -> None:
        self.ledger = Ledger()
        self.stock = StockLevels()
        self.page_size = DEFAULT_PAGE
        self.seed()

    def dump(self) -> dict[str, Any]:
        return {
            "documents": [doc.dump() for doc in self.ledger.docs.values()],
            "stock": self.stock.dump(),
        }
