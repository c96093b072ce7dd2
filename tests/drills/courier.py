"""Deliver Loop webhooks to the ingress as Loop does: exact bytes, signed, retried until 2xx.

Bodies come from the Loop sandbox's own event log (what it would have sent), so a drill can
deliver them late, twice or out of order and still send nothing Loop would not.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx

from adapters.loop.signature import HEADER, loop_json, sign
from tests.harness import WEBHOOK_SECRET


def created_body(loop_return: dict[str, Any]) -> bytes:
    """The return.created webhook body Loop sends for this return object."""
    return loop_json({"topic": "return", "trigger": "return.created", **loop_return})


def event_bodies(records: dict[str, Any], return_ids: set[str]) -> list[bytes]:
    """Every webhook body the Loop sandbox emitted for these returns, in emission order."""
    return [
        loop_json(e["payload"])
        for e in records["webhook_events"]
        if str(e["return_id"]) in return_ids
    ]


@dataclass
class Ack:
    status: int | None
    seconds: float  # the last attempt's round trip: what the sender waited for its answer
    attempts: int


class Courier:
    def __init__(self, ingress_url: str, secret: str = WEBHOOK_SECRET, timeout: float = 10):
        self.url = f"{ingress_url}/webhooks/loop"
        self.secret = secret
        self._http = httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=400))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def post(self, body: bytes, headers: dict[str, str] | None = None) -> Ack:
        """One attempt, headers as given (no signature added): for fuzzing."""
        started = time.perf_counter()
        try:
            response = await self._http.post(self.url, content=body, headers=headers)
            status: int | None = response.status_code
        except httpx.HTTPError:
            status = None
        return Ack(status, time.perf_counter() - started, 1)

    async def deliver(self, body: bytes, deadline: float = 120) -> Ack:
        """Signed, retried with backoff on 5xx or no answer until a 2xx (Loop's behaviour)."""
        headers = {HEADER: sign(body, self.secret), "Content-Type": "application/json"}
        give_up = time.monotonic() + deadline
        delay, attempts = 0.1, 0
        while True:
            attempts += 1
            ack = await self.post(body, headers)
            if ack.status is not None and ack.status < 500:
                return Ack(ack.status, ack.seconds, attempts)
            if time.monotonic() > give_up:
                raise TimeoutError(f"webhook not accepted after {attempts} attempts: {ack}")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
