"""Grade Items and Assess Dispositions validation (reference §8), answered Laravel-style.

At most 30 items per call; each names a line item of one of this shop's returns. Grades need a
description (≤255); assessments a disposition_outcome from Loop's five values.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from adapters.sandbox.loop.errors import invalid

MAX_ITEMS = 30
OUTCOMES = ("back_to_stock", "resale_hold", "recycle", "donate", "missing")


def _line_id(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        return str(value).strip()
    return None


def _check_length(
    errors: dict[str, list[str]], item: dict, key: str, where: str, limit: int
) -> None:
    value = item.get(key)
    if value is not None and (not isinstance(value, str) or len(value) > limit):
        errors[f"{where}.{key}"] = [f"The {where}.{key} must be a string of at most {limit}."]


def _check_inspected_at(errors: dict[str, list[str]], item: dict, where: str) -> None:
    value = item.get("inspected_at")
    if value is None:
        return
    try:
        datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        errors[f"{where}.inspected_at"] = [
            f"The {where}.inspected_at does not match the format Y-m-d H:i:s."
        ]


def validate(
    body: Any, kind: str, owner_of: Callable[[str], str | None]
) -> list[tuple[str, dict[str, Any]]]:
    """[(return_id, item)] for a valid grade/assess body, else a 422 LoopHttpError."""
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise invalid({"items": ["The items field is required."]})
    if len(items) > MAX_ITEMS:
        raise invalid({"items": [f"The items may not have more than {MAX_ITEMS} items."]})
    errors: dict[str, list[str]] = {}
    accepted = []
    for n, item in enumerate(items):
        where = f"items.{n}"
        if not isinstance(item, dict):
            errors[where] = [f"The {where} must be an object."]
            continue
        line_id = _line_id(item.get("line_item_id"))
        owner = owner_of(line_id) if line_id is not None else None
        if line_id is None:
            errors[f"{where}.line_item_id"] = [f"The {where}.line_item_id must be an integer."]
        elif owner is None:
            errors[f"{where}.line_item_id"] = [f"The selected {where}.line_item_id is invalid."]
        if kind == "grade":
            if not item.get("description"):
                errors[f"{where}.description"] = [f"The {where}.description field is required."]
            _check_length(errors, item, "description", where, 255)
        else:
            if item.get("disposition_outcome") not in OUTCOMES:
                errors[f"{where}.disposition_outcome"] = [
                    f"The selected {where}.disposition_outcome is invalid."
                ]
            _check_length(errors, item, "return_processor", where, 100)
            _check_length(errors, item, "note", where, 65535)
        _check_inspected_at(errors, item, where)
        if owner is not None:
            accepted.append((owner, item))
    if errors:
        raise invalid(errors)
    return accepted
