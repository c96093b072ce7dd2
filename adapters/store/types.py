"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no timestamp-with-time-zone and no exact decimal, so the two backends would drift
apart silently; these decorators pin the behaviour down: datetimes go in as UTC and come back
tz-aware UTC, money goes in rounded to 4 places and comes back as a Decimal with 4 places.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import JSON, DateTime, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

MONEY_PLACES = Decimal("0.0001")


def _scrub(value: Any) -> Any:
    """Escape NUL in strings and keys: PostgreSQL's jsonb (and text) cannot hold it."""
    if isinstance(value, str):
        return value.replace("\x00", "\\x00")
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


class JsonDoc(TypeDecorator[Any]):
    """JSONB on PostgreSQL (indexable, compact), JSON text on SQLite.

    Values go in as pydantic's JSON mode makes them (Decimal and datetime as strings, enums as
    values), the same shapes the Temporal data converter gives, so a payload from a malformed
    delivery or a money figure in evidence cannot fail a write that must land.
    """

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(JSONB() if dialect.name == "postgresql" else JSON())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else _scrub(to_jsonable_python(value))


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always tz-aware UTC in Python.

    Naive datetimes are refused: the project's convention is aware datetimes everywhere, and
    guessing a zone would corrupt SLA and KPI arithmetic without anyone noticing. SQLite stores
    naive UTC text in a fixed-width format, so string comparison orders it correctly.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: the store needs timezone-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Money4(TypeDecorator[Decimal]):
    """NUMERIC(18, 4) read and written as Decimal.

    Values are rounded half-even to 4 places before they reach either backend, so both agree.
    PostgreSQL is exact over the full 18 digits; SQLite keeps NUMERIC as a double, exact up to
    15 significant digits (amounts below 10^11 at 4 places), which covers any single return.
    """

    impl = Numeric(18, 4, asdecimal=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
        if not amount.is_finite():
            raise ValueError(f"money must be finite, not {amount}")
        # SQLAlchemy turns this into a float for pysqlite; exact within the 15 digits above.
        return amount.quantize(MONEY_PLACES, rounding=ROUND_HALF_EVEN)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            value = Decimal(str(value))
        return value.quantize(MONEY_PLACES, rounding=ROUND_HALF_EVEN)
