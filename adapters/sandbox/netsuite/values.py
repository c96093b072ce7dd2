"""Body values as NetSuite validates them: bad ones are 400 INVALID_CONTENT at their path."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import invalid_content


def whole(value: Any, path: str, *, minimum: int | None = 1) -> int:
    """A whole number (quantities, line ids); `minimum=None` allows any sign, not zero."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        number = Decimal("NaN")
    if isinstance(value, bool) or not number.is_finite() or number != number.to_integral_value():
        raise invalid_content(f"Invalid value for the field {path}: {value!r}.", path)
    result = int(number)
    if (minimum is not None and result < minimum) or (minimum is None and result == 0):
        raise invalid_content(f"Invalid value for the field {path}: {value!r}.", path)
    return result


def money(value: Any, path: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        number = Decimal("NaN")
    if isinstance(value, bool) or not number.is_finite() or number < 0:
        raise invalid_content(f"Invalid value for the field {path}: {value!r}.", path)
    return number


def flag(value: Any, path: str, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid_content(f"Invalid value for the field {path}: {value!r}.", path)
    return value


def text(value: Any, path: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int):
        raise invalid_content(f"Invalid value for the field {path}: {value!r}.", path)
    return str(value)
