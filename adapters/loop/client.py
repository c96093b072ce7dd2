"""LoopClient: Loop's merchant API for one storefront account, over httpx.

Every answer's body is read, even on 200: Loop reports state refusals as an error body with
HTTP 200, and a success is the JSON string "true". Failures become the typed adapter errors
(adapters.errors) so activities can tell a retry from a business case. Actions are made
idempotent where Loop lets us tell "already done" apart (process on a closed return -> False).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import quote

import httpx

from adapters.errors import (
    AdapterError,
    BusinessError,
    ConflictError,
    NotFoundError,
    RetryableError,
)
from adapters.http import RetryPolicy, send_with_retries
from adapters.loop.errors import to_error
from adapters.loop.payload import PayloadError, opt_id, parse_return
from workflows.model import ReturnRequest

NOTE_LIMIT = 255  # Loop refuses longer notes with 422
BATCH_LIMIT = 30  # grade / assess accept at most 30 items per call
LIST_WINDOW = timedelta(days=120)  # a longer from..to range is a 422
MAX_PAGE_SIZE = 750
DISPOSITION_OUTCOMES = frozenset({"back_to_stock", "resale_hold", "recycle", "donate", "missing"})


def _path_id(value: str | int) -> str:
    text = str(value).strip()
    if not text:
        raise ValueError("an id is required")
    return quote(text, safe="")


def _stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("list_returns needs timezone-aware datetimes")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def list_windows(
    start: datetime, end: datetime, span: timedelta = LIST_WINDOW
) -> Iterator[tuple[datetime, datetime]]:
    """Consecutive [from, to] windows of at most `span` covering start..end."""
    if end < start:
        raise ValueError("end is before start")
    cursor = start
    while True:
        stop = min(cursor + span, end)
        yield cursor, stop
        if stop >= end:
            return
        cursor = stop


def _is_true(body: Any) -> bool:
    return body is True or (isinstance(body, str) and body.strip().lower() == "true")


def _as_list(body: Any, key: str, what: str) -> list[dict[str, Any]]:
    if isinstance(body, dict) and isinstance(body.get(key), list):
        body = body[key]
    if not isinstance(body, list):
        raise PayloadError(key, f"expected a list of {what}")
    return body


def _wire_id(value: Any) -> Any:
    """Loop's dispositioning wants integer line item ids; ours are strings."""
    return int(value) if isinstance(value, str) and value.strip().isdigit() else value


class LoopClient:
    """One Loop account (`storefront` names it on every parsed ReturnRequest).

    Paths are /api/{version}/...; `version` is "v1" (alias of 2026-07) or a date version.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        version: str = "v1",
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        storefront: str = "default",
    ) -> None:
        self.storefront = storefront
        self._retry = retry or RetryPolicy()
        self._origin = httpx.URL(base_url).copy_with(raw_path=b"/")
        self._http = httpx.AsyncClient(
            base_url=f"{base_url.rstrip('/')}/api/{version}/",
            headers={"X-Authorization": api_key, "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> LoopClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- transport ------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        before_retry: Callable[[], Awaitable[httpx.Response | None]] | None = None,
    ) -> Any:
        """Send with retries; the decoded body of a success, else the typed error."""

        async def send() -> httpx.Response:
            return await self._http.request(method, url, params=params, json=json)

        try:
            response = await send_with_retries(send, self._retry, before_retry=before_retry)
        except httpx.TransportError as exc:
            raise RetryableError(
                f"Loop: {type(exc).__name__} on {method} {url}", code="TRANSPORT"
            ) from exc
        body: Any = None
        if response.content:
            try:
                body = response.json()
            except ValueError:
                body = response.text
        error = to_error(response.status_code, body)
        if error is not None:
            raise error
        return body

    def _same_origin(self, next_url: str) -> httpx.URL:
        """Follow a page link on our own origin: the API key never goes to another host."""
        return self._origin.join(httpx.URL(next_url).raw_path.decode("ascii"))

    # --- return data ----------------------------------------------------------------------

    async def get_return_raw(self, return_id: str | int) -> dict[str, Any]:
        """The return object as Loop sent it, unknown fields and all."""
        body = await self._call(
            "GET", "warehouse/return/details", params={"return_id": str(return_id)}
        )
        if not body:
            raise NotFoundError(f"Loop: return {return_id} not found", code="NOT_FOUND")
        if not isinstance(body, dict):
            raise PayloadError("<body>", f"expected a return object, got {type(body).__name__}")
        return body

    async def get_return(self, return_id: str | int) -> ReturnRequest:
        return parse_return(await self.get_return_raw(return_id), self.storefront)

    async def list_returns(
        self,
        start: datetime,
        end: datetime,
        *,
        filter: Literal["updated_at", "created_at"] = "updated_at",
        state: str | None = None,
        page_size: int = 250,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every return whose `filter` timestamp is in start..end, as raw dicts.

        The range is cut into windows of at most 120 days (Loop refuses longer ones) and each
        window is paged through `nextPageUrl`. Windows share their boundary instant, so a return
        seen twice is yielded once. Without `state` Loop omits cancelled and review returns.
        """
        if filter not in ("updated_at", "created_at"):
            raise ValueError(f"filter must be updated_at or created_at, not {filter!r}")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}")
        seen: set[str] = set()
        for window_start, window_end in list_windows(start, end):
            params = {
                "from": _stamp(window_start),
                "to": _stamp(window_end),
                "filter": filter,
                "paginate": "true",
                "pageSize": str(page_size),
            }
            if state is not None:
                params["state"] = state
            body = await self._call("GET", "warehouse/return/list", params=params)
            while True:
                if isinstance(body, list):  # an unpaginated answer: everything at once
                    rows, next_url = body, None
                elif isinstance(body, dict):
                    rows, next_url = body.get("returns") or [], body.get("nextPageUrl")
                else:
                    raise PayloadError("returns", "expected a page of returns")
                for row in rows:
                    return_id = opt_id(row.get("id"), "id") if isinstance(row, dict) else None
                    if return_id is None:
                        raise PayloadError("returns[].id", "missing")
                    if return_id not in seen:
                        seen.add(return_id)
                        yield row
                if not next_url:
                    break
                body = await self._call("GET", self._same_origin(next_url))

    # --- return actions -------------------------------------------------------------------

    async def _action(
        self, return_id: str | int, verb: str, done: tuple[str, ...], body: Any = None
    ) -> bool:
        """True when Loop accepted (queued) the action; False when it was already done."""
        try:
            answer = await self._call(
                "POST", f"warehouse/return/{_path_id(return_id)}/{verb}", json=body
            )
        except ConflictError as exc:
            text = exc.message.lower()
            if exc.code == "UNPROCESSABLE_RETURN" and any(f"is {s}" in text for s in done):
                return False
            raise
        if not _is_true(answer):
            raise BusinessError(
                f"Loop: unexpected answer to {verb}: {answer!r}", code="UNEXPECTED_BODY"
            )
        return True

    async def process_return(self, return_id: str | int, details: dict | None = None) -> bool:
        """Queue processing (Loop closes the return asynchronously).

        False when the return is already closed: a retried or replayed process is done.
        A flagged return raises ConflictError (UNPROCESSABLE_FLAGGED_RETURN); a cancelled or
        expired one raises ConflictError (UNPROCESSABLE_RETURN).
        """
        return await self._action(return_id, "process", ("closed",), details)

    async def cancel_return(self, return_id: str | int) -> bool:
        return await self._action(return_id, "cancel", ("cancelled",))

    async def close_return(self, return_id: str | int) -> bool:
        return await self._action(return_id, "close", ("closed",))

    async def flag_return(self, return_id: str | int) -> bool:
        return await self._action(return_id, "flag", ("review", "flagged"))

    # --- notes ----------------------------------------------------------------------------

    async def add_note(self, return_id: str | int, content: str, *, truncate: bool = False) -> None:
        """Add a note; Loop's limit is 255 characters (ValueError, or cut with `truncate`)."""
        text = content.strip()
        if not text:
            raise ValueError("a Loop note needs content")
        if len(text) > NOTE_LIMIT:
            if not truncate:
                raise ValueError(
                    f"Loop notes are limited to {NOTE_LIMIT} characters, this one has {len(text)}"
                )
            text = text[: NOTE_LIMIT - 1] + "…"
        answer = await self._call(
            "POST", f"warehouse/return/{_path_id(return_id)}/note", json={"content": text}
        )
        if not _is_true(answer):
            raise BusinessError(f"Loop: unexpected answer to note: {answer!r}")

    async def get_notes(self, return_id: str | int) -> list[dict[str, Any]]:
        """The return's notes; Loop answers 422 when there are none, which is []."""
        try:
            body = await self._call("GET", f"warehouse/return/{_path_id(return_id)}/notes")
        except BusinessError as exc:
            if type(exc) is BusinessError and exc.status == 422:
                return []
            raise
        return _as_list(body, "notes", "notes")

    # --- grading and disposition ----------------------------------------------------------

    async def _batched(self, path: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        echoed: list[dict[str, Any]] = []
        for n in range(0, len(items), BATCH_LIMIT):
            body = await self._call("POST", path, json={"items": items[n : n + BATCH_LIMIT]})
            echoed.extend(_as_list(body, "items", "items"))
        return echoed

    @staticmethod
    def _prepare(items: Sequence[Mapping[str, Any]], required: tuple[str, ...]) -> list[dict]:
        """Validate every item before the first call, so a bad item never half-applies."""
        prepared = []
        for n, item in enumerate(items):
            missing = [key for key in required if item.get(key) in (None, "")]
            if missing:
                raise ValueError(f"items[{n}] lacks {', '.join(missing)}")
            prepared.append({**item, "line_item_id": _wire_id(item["line_item_id"])})
        return prepared

    async def grade_items(self, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Record condition grades (line_item_id, description ≤255, condition_category, ...)."""
        prepared = self._prepare(items, ("line_item_id", "description"))
        for n, item in enumerate(prepared):
            if len(str(item["description"])) > NOTE_LIMIT:
                raise ValueError(f"items[{n}].description is over {NOTE_LIMIT} characters")
        return await self._batched("dispositioning/grade", prepared)

    async def assess_dispositions(self, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Record dispositions (line_item_id, disposition_outcome in DISPOSITION_OUTCOMES)."""
        prepared = self._prepare(items, ("line_item_id", "disposition_outcome"))
        for n, item in enumerate(prepared):
            if item["disposition_outcome"] not in DISPOSITION_OUTCOMES:
                raise ValueError(
                    f"items[{n}].disposition_outcome {item['disposition_outcome']!r} is not one "
                    f"of {sorted(DISPOSITION_OUTCOMES)}"
                )
        return await self._batched("dispositioning/assess", prepared)

    # --- webhook subscriptions ------------------------------------------------------------

    async def list_webhooks(self) -> list[dict[str, Any]]:
        return _as_list(await self._call("GET", "webhooks"), "webhooks", "webhooks")

    async def _find_webhook(self, topic: str, trigger: str, url: str) -> dict[str, Any] | None:
        for hook in await self.list_webhooks():
            if (hook.get("topic"), hook.get("trigger"), hook.get("url")) == (topic, trigger, url):
                return hook
        return None

    async def create_webhook(
        self, topic: str, trigger: str, url: str, status: str = "active"
    ) -> dict[str, Any]:
        """Subscribe (Loop defaults a new subscription to inactive, so status is explicit).

        A retry after a lost answer looks for the subscription first instead of adding a twin.
        """

        async def existing() -> httpx.Response | None:
            try:
                found = await self._find_webhook(topic, trigger, url)
            except AdapterError:
                return None  # cannot tell: retry the create
            return None if found is None else httpx.Response(201, json=found)

        body = await self._call(
            "POST",
            "webhooks",
            json={"topic": topic, "trigger": trigger, "url": url, "status": status},
            before_retry=existing,
        )
        if isinstance(body, dict) and isinstance(body.get("webhook"), dict):
            body = body["webhook"]
        if not isinstance(body, dict):
            raise PayloadError("webhook", "expected a webhook object")
        return body

    async def update_webhook(
        self, webhook_id: str | int, topic: str, trigger: str, url: str, status: str | None = None
    ) -> None:
        payload = {"topic": topic, "trigger": trigger, "url": url}
        if status is not None:
            payload["status"] = status
        await self._call("PUT", f"webhooks/{_path_id(webhook_id)}", json=payload)

    async def delete_webhook(self, webhook_id: str | int) -> None:
        await self._call("DELETE", f"webhooks/{_path_id(webhook_id)}")
