"""One SOAP endpoint over httpx: retries for transient failures, typed errors for the rest.

Calls share an optional cap on requests in flight (desktop ERP services serve few at once).
A SOAP fault arrives as HTTP 500 too, so the status alone cannot say "retry": a 500 whose body
is a SOAP Fault is the server's final word (classified by the ERP's own rules), while a 5xx,
429 or timeout without one is transient. `recover` looks for the effect of a write whose
answer was lost before a retry sends it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx

from adapters.errors import (
    AdapterError,
    AuthError,
    BusinessError,
    RateLimitedError,
    RetryableError,
)
from adapters.http import RETRYABLE_STATUS, RetryPolicy

from . import soap

FaultClassifier = Callable[[str, str], AdapterError]  # (fault code, message) -> typed error


def unclassified_fault(system: str, code: str, message: str) -> AdapterError:
    """A fault no rule of the ERP's knows: a Server fault is the server's own trouble (retry),
    a Client fault is our request's (a person looks)."""
    cls = RetryableError if code == "Server" else BusinessError
    return cls(f"{system} fault ({code}): {message}", code="FAULT", status=500)


class SoapChannel:
    def __init__(
        self,
        base_url: str,
        path: str,
        *,
        system: str,
        namespace: str,
        classify_fault: FaultClassifier,
        header: dict[str, str] | None = None,
        retry: RetryPolicy = RetryPolicy(),
        timeout: float = 30.0,
        max_concurrency: int | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.system = system
        # held around each attempt, never across a backoff sleep
        self._slots = asyncio.Semaphore(max_concurrency) if max_concurrency else None
        self._path = path
        self._namespace = namespace
        self._classify = classify_fault
        self._header = header or {}
        self._retry = retry
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport
        )

    async def call(
        self,
        operation: str,
        args: dict[str, str],
        *,
        recover: Callable[[], Awaitable[str | None]] | None = None,
    ) -> str:
        """The operation's result string; raises a typed AdapterError otherwise."""
        body = soap.envelope(soap.SoapCall(operation, args, self._header, self._namespace))
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": operation}
        last: AdapterError | None = None
        for attempt in range(self._retry.attempts):
            if attempt:
                await asyncio.sleep(self._retry.delay(attempt))
                if recover is not None:
                    found = await recover()
                    if found is not None:
                        return found
            try:
                response = await self._post(body, headers)
            except httpx.TransportError as exc:
                last = RetryableError(
                    f"{self.system} {operation}: {type(exc).__name__}", code=type(exc).__name__
                )
                continue
            reply = self._reply(response)
            if reply is None:
                last = self._http_error(operation, response)
                if isinstance(last, RetryableError):
                    continue
                raise last
            if reply.fault_message is not None:
                raise self._classify(reply.fault_code or "Server", reply.fault_message)
            return reply.result or ""
        assert last is not None
        raise last

    async def _post(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        if self._slots is None:
            return await self._http.post(self._path, content=body, headers=headers)
        async with self._slots:
            return await self._http.post(self._path, content=body, headers=headers)

    @staticmethod
    def _reply(response: httpx.Response) -> soap.SoapReply | None:
        if "xml" not in response.headers.get("content-type", ""):
            return None
        try:
            return soap.read_reply(response.content)
        except soap.XmlError:
            return None

    def _http_error(self, operation: str, response: httpx.Response) -> AdapterError:
        status = response.status_code
        message = f"{self.system} {operation}: HTTP {status}"
        if status == 429:
            return RateLimitedError(message, status=status)
        if status in RETRYABLE_STATUS or status >= 500:
            return RetryableError(message, status=status)
        if status in (401, 403):
            return AuthError(message, status=status)
        return AdapterError(message, status=status)

    async def aclose(self) -> None:
        await self._http.aclose()
