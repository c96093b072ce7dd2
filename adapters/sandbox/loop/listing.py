"""The Detailed Returns List's query rules and cursor pagination (reference §1 and §6).

No from/to means the last 24 hours; a range over 120 days is a 422; without `state` only open,
closed and expired returns are listed; `paginate=true` gives `{returns, nextPageUrl,
previousPageUrl}` with an opaque cursor, otherwise a bare array.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.sandbox.loop.errors import invalid
from adapters.sandbox.loop.state import DEFAULT_LIST_STATES, STATES

MAX_RANGE = timedelta(days=120)
DEFAULT_PAGE, MAX_PAGE = 100, 750


@dataclass(frozen=True)
class ListQuery:
    field: str
    start: datetime
    end: datetime
    states: frozenset[str]
    paginate: bool
    page_size: int
    cursor: tuple[str, list[Any]] | None


def parse_when(value: str, name: str) -> datetime:
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise invalid({name: [f"The {name} is not a valid date."]}) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _cursor(token: str) -> tuple[str, list[Any]]:
    try:
        direction, key = json.loads(base64.urlsafe_b64decode(token.encode()))
        if direction not in ("n", "p") or not isinstance(key, list):
            raise ValueError(token)
    except ValueError:
        raise invalid({"cursor": ["The cursor is invalid."]}) from None
    return direction, key


def _token(direction: str, key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps([direction, key]).encode()).decode()


def parse_query(params: Mapping[str, str], now: datetime) -> ListQuery:
    field = params.get("filter", "created_at")
    if field not in ("created_at", "updated_at"):
        raise invalid({"filter": ["The selected filter is invalid."]})
    start = parse_when(params["from"], "from") if params.get("from") else None
    end = parse_when(params["to"], "to") if params.get("to") else None
    if start is None and end is None:
        start, end = now - timedelta(hours=24), now
    elif end is None:
        end = now
    elif start is None:
        start = end - timedelta(hours=24)
    assert start is not None and end is not None
    if end < start:
        raise invalid({"to": ["The to must be a date after or equal to from."]})
    if end - start > MAX_RANGE:
        raise invalid({"to": ["The date range may not be greater than 120 days."]})
    state = params.get("state")
    if state is not None and state not in STATES:
        raise invalid({"state": ["The selected state is invalid."]})
    try:
        page_size = int(params.get("pageSize", DEFAULT_PAGE))
    except ValueError:
        page_size = 0
    if not 1 <= page_size <= MAX_PAGE:
        raise invalid({"pageSize": [f"The page size must be between 1 and {MAX_PAGE}."]})
    return ListQuery(
        field=field,
        start=start,
        end=end,
        states=frozenset({state}) if state else DEFAULT_LIST_STATES,
        paginate=params.get("paginate", "false").lower() in ("true", "1"),
        page_size=page_size,
        cursor=_cursor(params["cursor"]) if params.get("cursor") else None,
    )


def page(rows: list[dict[str, Any]], query: ListQuery, url: Any) -> Any:
    """The answer for `rows` (already filtered and sorted); `url` is the request's Starlette URL."""
    if not query.paginate:
        return rows

    def rank(key: list[Any]) -> tuple[str, int, str]:
        """The sort key of a row: its timestamp (fixed-width ISO), then its id."""
        return key[0], int(key[1]) if str(key[1]).isdigit() else 0, str(key[1])

    keys = [[row[query.field], row["id"]] for row in rows]
    order = [rank(key) for key in keys]

    if query.cursor is None:
        lo, hi = 0, min(query.page_size, len(rows))
    elif query.cursor[0] == "n":
        lo = sum(1 for o in order if o <= rank(query.cursor[1]))
        hi = min(lo + query.page_size, len(rows))
    else:
        hi = sum(1 for o in order if o < rank(query.cursor[1]))
        lo = max(hi - query.page_size, 0)

    def link(direction: str, index: int) -> str:
        return str(url.include_query_params(cursor=_token(direction, keys[index])))

    return {
        "returns": rows[lo:hi],
        "nextPageUrl": link("n", hi - 1) if hi < len(rows) else None,
        "previousPageUrl": link("p", lo) if lo > 0 else None,
    }
