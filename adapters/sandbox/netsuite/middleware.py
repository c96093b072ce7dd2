"""What stands in front of the API paths: body buffering, the account's concurrency gate,
lost answers, and TBA. Pure ASGI, so each sees the whole request and response.

Controls under /_sandbox/ pass straight through: never authenticated, counted or faulted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import status_body
from .oauth2 import TOKEN_PATH, OAuth2Issuer
from .responses import NsJSONResponse
from .tba import TbaVerifier

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_api(scope: Scope) -> bool:
    return scope["type"] == "http" and not scope["path"].startswith("/_sandbox")


async def _answer(status: int, scope: Scope, receive: Receive, send: Send) -> None:
    await NsJSONResponse(status_body(status), status_code=status, error=True)(scope, receive, send)


class BufferBody:
    """Read the whole request before anything else runs, as NetSuite does: a client that gives
    up (timeout) after sending leaves a request the server still processes and commits."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        replay: list[Message] = [{"type": "http.request", "body": b"".join(chunks)}]

        async def buffered() -> Message:
            return replay.pop() if replay else await receive()

        await self.app(scope, buffered, send)


@dataclass
class Governance:
    """The account's concurrency pool (Setup > Integration > Integration Governance)."""

    account_limit: int = 5
    integration_limit: int | None = None  # slots reserved for our integration, if any
    readable: bool = True  # False: governanceLimits answers 403 (role is not admin)
    in_flight: int = 0
    peak: int = 0
    rejected: int = 0
    admitted: int = 0  # API requests let through, for throughput measurements

    def reset(self, account_limit: int) -> None:
        """Settings and counters back to new; requests in flight stay counted."""
        self.account_limit, self.integration_limit, self.readable = account_limit, None, True
        self.peak, self.rejected = self.in_flight, 0
        self.admitted = 0

    @property
    def limit(self) -> int:
        return self.integration_limit or self.account_limit

    def limits(self) -> dict[str, Any]:
        reserved = self.integration_limit or 0
        body: dict[str, Any] = {
            "accountConcurrencyLimit": self.account_limit,
            "accountUnallocatedConcurrencyLimit": self.account_limit - reserved,
            "integrationLimitType": "integrationSpecific" if reserved else "accountLimit",
        }
        if reserved:
            body["integrationConcurrencyLimit"] = reserved
        return body

    def stats(self) -> dict[str, Any]:
        return {
            **self.limits(),
            "inFlight": self.in_flight,
            "peak": self.peak,
            "rejected": self.rejected,
            "admitted": self.admitted,
            "readable": self.readable,
        }


class ConcurrencyGate:
    """Count in-flight API requests; the one over the limit is refused with 429 at once."""

    def __init__(self, app: ASGIApp, governance: Governance) -> None:
        self.app = app
        self.gov = governance

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_api(scope):
            await self.app(scope, receive, send)
            return
        if self.gov.in_flight >= self.gov.limit:
            self.gov.rejected += 1
            await _answer(429, scope, receive, send)
            return
        self.gov.in_flight += 1
        self.gov.admitted += 1
        self.gov.peak = max(self.gov.peak, self.gov.in_flight)
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                self.gov.in_flight -= 1

        async def send_and_release(message: Message) -> None:
            # Free the slot before the last byte leaves: the client cannot send its next
            # request before it has this answer, so it never meets its own previous one.
            if message["type"] == "http.response.body" and not message.get("more_body"):
                release()
            await send(message)

        try:
            await self.app(scope, receive, send_and_release)
        finally:
            release()


@dataclass
class LostAnswers:
    remaining: int = 0
    lost: int = 0


class LoseResponses:
    """The next N successful writes are committed but answered 500, as when the answer is lost
    on the way back: only a look-up by external id tells the client what happened."""

    def __init__(self, app: ASGIApp, state: LostAnswers) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (is_api(scope) and scope["method"] in WRITE_METHODS and "/record/" in scope["path"]):
            await self.app(scope, receive, send)
            return
        swallowed = False

        async def send_or_lose(message: Message) -> None:
            nonlocal swallowed
            if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
                if self.state.remaining > 0:
                    self.state.remaining -= 1
                    self.state.lost += 1
                    swallowed = True
                    await _answer(500, scope, receive, send)
                    return
            if not swallowed:
                await send(message)

        await self.app(scope, receive, send_or_lose)


def request_url(scope: Scope) -> str:
    """The URL as the client signed it: scheme, Host header, raw path, query."""
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    host = headers.get("host") or "{}:{}".format(*scope["server"])
    path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    query = scope.get("query_string", b"").decode("latin-1")
    return f"{scope['scheme']}://{host}{path}" + (f"?{query}" if query else "")


class RequireTba:
    """TBA, or an OAuth 2.0 bearer token when one is given; the token endpoint is open."""

    def __init__(
        self, app: ASGIApp, verifier: TbaVerifier, bearer: OAuth2Issuer | None = None
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.bearer = bearer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_api(scope) and scope["path"] != TOKEN_PATH:
            headers = {
                k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
            }
            authorization = headers.get("authorization") or ""
            if self.bearer is not None and authorization.startswith("Bearer "):
                reason = self.bearer.verify_bearer(authorization.removeprefix("Bearer ").strip())
                self.bearer.record(scope["method"], scope["path"], reason, "oauth2")
            else:
                reason = self.verifier.verify(
                    scope["method"], request_url(scope), headers.get("authorization")
                )
            if reason is not None:
                await _answer(401, scope, receive, send)
                return
        await self.app(scope, receive, send)
