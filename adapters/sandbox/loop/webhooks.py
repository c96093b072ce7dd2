"""Webhook subscriptions and delivery, as Loop does them.

Each event is serialised once (`loop_json`, PHP style) and signed over exactly those bytes.
It goes to every active subscription whose topic and trigger match, in a background task so the
request that caused it answers first. A failed attempt (non-2xx or no connection) is retried up
to three more times; a delivery that fails every attempt counts one consecutive failure, and
more than `deactivate_after` of them in a row turn the subscription inactive, as Loop does.
Deliveries to one subscription go out in emission order; `flush` waits for all of them.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from adapters.loop.signature import HEADER, loop_json, sign
from adapters.sandbox.loop.returns import SHOP_ID, iso

TRIGGERS: dict[str, frozenset[str]] = {
    "return": frozenset({"return.created", "return.updated", "return.closed"}),
    "label": frozenset({"label.created", "label.updated", "label.requested", "label.closed"}),
    "restock": frozenset({"restock.requested"}),
    "giftcard": frozenset({"giftcard.requested"}),
    "happy.returns.shipment": frozenset({"shipment.processed"}),
    "label.request": frozenset({"label.request.issued", "label.request.cancelled"}),
    "return.processing": frozenset({"return.processing.failed"}),
}
ALL_TRIGGERS = frozenset(t for triggers in TRIGGERS.values() for t in triggers)
# The pairs the sandbox itself emits: what a catch-all test target subscribes to.
EMITTED = [
    ("return", "return.created"),
    ("return", "return.updated"),
    ("return", "return.closed"),
    ("label", "label.updated"),
    ("restock", "restock.requested"),
    ("giftcard", "giftcard.requested"),
    ("return.processing", "return.processing.failed"),
]


class WebhookDispatcher:
    def __init__(
        self,
        secret: str,
        *,
        retry_delays: Sequence[float] = (0.2, 0.5, 1.0),
        timeout: float = 5.0,
        deactivate_after: int = 10,
    ) -> None:
        self._secret = secret
        self._delays = tuple(retry_delays)
        self._timeout = timeout
        self._deactivate_after = deactivate_after
        self._client: httpx.AsyncClient | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self.reset()

    def reset(self) -> None:
        for task in self._pending:
            task.cancel()
        self._pending = set()
        self.subscriptions: dict[int, dict[str, Any]] = {}
        self.failures: dict[int, int] = {}
        self.events: list[dict[str, Any]] = []
        self.deliveries: list[dict[str, Any]] = []
        self._locks: dict[int, asyncio.Lock] = {}
        self._next_id = 1

    # --- subscriptions --------------------------------------------------------------------

    def subscribe(self, topic: str, trigger: str, url: str, status: str) -> dict[str, Any]:
        hook = {
            "id": self._next_id,
            "shop_id": SHOP_ID,
            "topic": topic,
            "trigger": trigger,
            "url": url,
            "status": status,
        }
        self.subscriptions[self._next_id] = hook
        self.failures[self._next_id] = 0
        self._next_id += 1
        return hook

    def update(self, hook_id: int, topic: str, trigger: str, url: str, status: str | None) -> None:
        hook = self.subscriptions[hook_id]
        hook.update(topic=topic, trigger=trigger, url=url)
        if status is not None:
            if status == "active" and hook["status"] != "active":
                self.failures[hook_id] = 0  # re-enabling starts a fresh count
            hook["status"] = status

    def delete(self, hook_id: int) -> None:
        del self.subscriptions[hook_id]

    # --- delivery -------------------------------------------------------------------------

    def emit(self, payload: dict[str, Any]) -> None:
        """Queue `payload` for every active subscription to its topic and trigger."""
        body = loop_json(payload)
        signature = sign(body, self._secret)
        topic, trigger = payload["topic"], payload["trigger"]
        targets = [
            hook["id"]
            for hook in self.subscriptions.values()
            if hook["status"] == "active" and (hook["topic"], hook["trigger"]) == (topic, trigger)
        ]
        self.events.append(
            {
                "topic": topic,
                "trigger": trigger,
                "return_id": payload.get("return_id", payload.get("id")),
                "digest": hashlib.sha256(body).hexdigest(),
                "subscriptions": targets,
                "at": iso(datetime.now(UTC)),
                "payload": payload,
            }
        )
        for hook_id in targets:
            task = asyncio.get_running_loop().create_task(
                self._deliver(hook_id, body, signature, topic, trigger)
            )
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _deliver(
        self, hook_id: int, body: bytes, signature: str, topic: str, trigger: str
    ) -> None:
        lock = self._locks.setdefault(hook_id, asyncio.Lock())
        async with lock:
            for attempt in range(1, len(self._delays) + 2):
                if attempt > 1:
                    await asyncio.sleep(self._delays[attempt - 2])
                hook = self.subscriptions.get(hook_id)
                if hook is None or hook["status"] != "active":
                    return
                status, error = await self._post(hook["url"], body, signature)
                self.deliveries.append(
                    {
                        "subscription_id": hook_id,
                        "url": hook["url"],
                        "topic": topic,
                        "trigger": trigger,
                        "digest": hashlib.sha256(body).hexdigest(),
                        "attempt": attempt,
                        "status_code": status,
                        "error": error,
                        "ok": status is not None and 200 <= status < 300,
                        "at": iso(datetime.now(UTC)),
                    }
                )
                if status is not None and 200 <= status < 300:
                    self.failures[hook_id] = 0
                    return
            self.failures[hook_id] = self.failures.get(hook_id, 0) + 1
            if self.failures[hook_id] > self._deactivate_after:
                self.subscriptions[hook_id]["status"] = "inactive"

    async def _post(self, url: str, body: bytes, signature: str) -> tuple[int | None, str | None]:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        try:
            response = await self._client.post(
                url,
                content=body,
                headers={HEADER: signature, "Content-Type": "application/json"},
            )
        except httpx.HTTPError as exc:
            return None, type(exc).__name__
        return response.status_code, None

    async def flush(self) -> None:
        """Wait until every queued delivery (with its retries) is finished."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def aclose(self) -> None:
        for task in self._pending:
            task.cancel()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
