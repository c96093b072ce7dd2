"""The NetSuite REST operations the adapter is built from: read a record, run SuiteQL, and
create a record exactly once by its external id.

Transforms have no upsert, so `create_once` makes them idempotent the way Oracle describes:
look the external id up first, look again before any retry (the server may have committed a
write whose answer was lost), and treat a duplicate-external-id refusal as "already there".
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from adapters.errors import ConflictError, NotFoundError, RetryableError

from . import wire
from .channel import NetSuiteChannel
from .errors import error_from_response

Record = dict[str, Any]
PAGE = 1000  # SuiteQL's largest page


def created_id(response: httpx.Response) -> str:
    """A create/transform answers 204 with the new record's URL in Location."""
    location = response.headers.get("Location", "")
    new_id = location.rstrip("/").rsplit("/", 1)[-1]
    if not new_id:
        raise RetryableError(
            "NetSuite accepted a write without a Location header", status=response.status_code
        )
    return new_id


class NetSuiteRest:
    def __init__(self, channel: NetSuiteChannel) -> None:
        self._channel = channel

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._channel.send(method, path, **kwargs)
        if response.status_code >= 400:
            raise error_from_response(response)
        return wire.loads(response.content) if response.content else None

    async def get(self, record_type: str, record_id: str, *, expand: bool = False) -> Record:
        """A record by internal id or `eid:<externalId>`; NotFoundError when it is not there."""
        params = {"expandSubResources": "true"} if expand else None
        record: Record = await self._json(
            "GET", wire.record_path(record_type, record_id), params=params
        )
        return record

    async def find(
        self, record_type: str, record_id: str, *, expand: bool = False
    ) -> Record | None:
        try:
            return await self.get(record_type, record_id, expand=expand)
        except NotFoundError:
            return None

    async def system(self, path: str) -> httpx.Response:
        return await self._channel.send("GET", path)

    async def suiteql(self, query: str, params: list[str]) -> list[dict[str, str]]:
        """Every row of a bound-parameter query, following `hasMore` page by page."""
        rows: list[dict[str, str]] = []
        async for page in self.suiteql_pages(query, params):
            rows += page
        return rows

    async def suiteql_pages(
        self, query: str, params: list[str], page_size: int = PAGE
    ) -> AsyncIterator[list[dict[str, str]]]:
        """The rows of a query one page at a time, so a long listing streams."""
        offset = 0
        while True:
            page = await self._json(
                "POST",
                wire.SUITEQL_PATH,
                params={"limit": str(page_size), "offset": str(offset)},
                body={"q": query, "params": params},
                headers={"Prefer": "transient"},
            )
            yield [{k: v for k, v in item.items() if k != "links"} for item in page["items"]]
            if not page.get("hasMore"):
                return
            offset += page_size

    async def patch(self, record_type: str, record_id: str, body: dict[str, Any]) -> None:
        """Update fields and merge sublist lines (PATCH answers 204 without a body)."""
        await self._json("PATCH", wire.record_path(record_type, record_id), body=body)

    async def create_once(
        self,
        path: str,
        record_type: str,
        external_id: str,
        body: Callable[[], Awaitable[dict[str, Any]]],
        *,
        params: dict[str, str] | None = None,
        read_back: bool = True,
    ) -> Record:
        """POST `path` (a create or a transform) once per `record_type` eid:`external_id`.

        NetSuite refuses a second record with the same external id (DUP_RCRD), so the write is
        sent first and the existing record is only looked up when the write conflicts or its
        answer was lost: a retry finds the record, and the first attempt costs no extra read.
        Returns the record as NetSuite holds it, read back after the write; with `read_back`
        off (records without status or totals: receipts, transfers) only its id and external
        id, from the Location header, saving one request of the account's concurrency.
        """
        eid = f"eid:{external_id}"

        async def committed() -> httpx.Response | None:
            response = await self._channel.send("GET", wire.record_path(record_type, eid))
            return response if response.status_code == 200 else None

        payload = await body()
        response = await self._channel.send(
            "POST", path, params=params, body=payload, recover=committed
        )
        if response.request.method == "GET":  # `committed` found the lost write
            found: Record = wire.loads(response.content)
            return found
        if response.status_code in (200, 201, 204):
            if not read_back:
                return {"id": created_id(response), "externalId": external_id}
            return await self.get(record_type, created_id(response))
        error = error_from_response(response)
        if isinstance(error, ConflictError):
            existing = await self.find(record_type, eid)
            if existing is not None:
                return existing
        raise error
