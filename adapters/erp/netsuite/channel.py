"""One NetSuite account's HTTP channel: sign every attempt, cap in-flight requests, retry.

The account has one concurrency pool shared by every integration; going over it costs a 429, so
the channel holds a semaphore sized to our share around each attempt (not across the backoff
sleep) and leaves 429/5xx/timeouts to `send_with_retries`, with jitter.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from adapters.errors import RetryableError
from adapters.http import RetryPolicy, send_with_retries

from . import wire
from .auth import RequestSigner

# Unknown body field names fail loudly instead of being dropped with a warning header.
BASE_HEADERS = {"Accept": "application/json", wire.PROPERTY_NAME_VALIDATION: "Error"}

Recover = Callable[[], Awaitable[httpx.Response | None]]


class NetSuiteChannel:
    def __init__(
        self,
        base_url: str,
        signer: RequestSigner,
        *,
        retry: RetryPolicy,
        timeout: float,
        max_concurrency: int | None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._signer = signer
        self._retry = retry
        self._slots = asyncio.Semaphore(max_concurrency) if max_concurrency else None
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport)

    @contextlib.asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        if self._slots is None:
            yield
            return
        async with self._slots:
            yield

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        recover: Recover | None = None,
    ) -> httpx.Response:
        """The final answer, whatever its status; transport failures become RetryableError.

        `recover` runs before each retry unless the last answer was a 429 (a refused request
        changed nothing): it looks for the effect of a write whose answer was lost.
        """
        url = httpx.URL(self._base + path, params=params)
        content = wire.dumps(body).encode() if body is not None else None
        extra = {**BASE_HEADERS, **(headers or {})}
        if content is not None:
            extra["Content-Type"] = "application/json"
        last_status = 0

        async def attempt() -> httpx.Response:
            nonlocal last_status
            async with self._slot():
                signed = {**extra, **await self._signer.sign(method, str(url))}
                response = await self._client.request(method, url, content=content, headers=signed)
            last_status = response.status_code
            return response

        async def before_retry() -> httpx.Response | None:
            if recover is None or last_status == 429:
                return None
            return await recover()

        try:
            response = await send_with_retries(attempt, self._retry, before_retry=before_retry)
            if response.status_code == 401:
                # Clock skew, a nonce clash or a revoked bearer token: re-sign once, then alert.
                self._signer.forget()
                response = await attempt()
        except httpx.TransportError as exc:
            raise RetryableError(
                f"NetSuite {method} {path}: {type(exc).__name__}", code=type(exc).__name__
            ) from exc
        return response

    async def aclose(self) -> None:
        await self._client.aclose()
