"""The real stack for workflow and end-to-end tests: sandboxes on loopback, real activities.

Temporal servers start once per session (dev server for updates, time-skipping for timers);
each test uses fresh return ids so nothing needs resetting between tests.
"""

from __future__ import annotations

import itertools
import sys
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from adapters.loop.payload import parse_webhook
from adapters.loop.signature import loop_json
from adapters.store import Store
from workers.ingress import deliver
from workers.settings import Settings
from workers.wiring import Adapters
from workers.worker import build_worker
from workflows.model import ReturnConfig

BIN = Path(sys.executable).parent
LOOP_KEY = "test-loop-key"
WEBHOOK_SECRET = "test-webhook-secret"
NS = {
    "consumer_key": "test-ck",
    "consumer_secret": "test-cs",
    "token_id": "test-tid",
    "token_secret": "test-ts",
}
_ids = itertools.count(700000)
COPIES = 60  # fresh copies of each demo order, so no two tests return the same order lines
_copies: dict[str, itertools.count[int]] = {}


def fresh_order(template: str) -> str:
    """A never-used copy of a demo order ("#1002" -> "#1002-7"), same lines and amounts."""
    n = next(_copies.setdefault(template, itertools.count(1)))
    if n > COPIES:
        raise RuntimeError(f"more than {COPIES} tests used order {template}: raise COPIES")
    return f"{template}-{n}"


def next_return_id() -> str:
    return str(next(_ids))


def settings_for(loop_url: str, netsuite_url: str, store_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "loop_base_url": loop_url,
        "loop_api_key": SecretStr(LOOP_KEY),
        "loop_webhook_secrets": SecretStr(WEBHOOK_SECRET),
        "netsuite_base_url": netsuite_url,
        "netsuite_consumer_key": SecretStr(NS["consumer_key"]),
        "netsuite_consumer_secret": SecretStr(NS["consumer_secret"]),
        "netsuite_token_id": SecretStr(NS["token_id"]),
        "netsuite_token_secret": SecretStr(NS["token_secret"]),
        "store_url": store_url,
        "erp_retry_initial": timedelta(milliseconds=50),
        "erp_max_attempts": 3,
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def running_worker(client: Client, settings: Settings):
    adapters = Adapters.from_settings(settings)
    worker: Worker = build_worker(client, settings, adapters)
    async with worker:
        yield adapters
    await adapters.aclose()


class LoopDriver:
    """Creates returns in the Loop sandbox and hands their webhooks to Temporal."""

    def __init__(self, loop_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=loop_url, timeout=30)

    async def create(self, order_name: str = "#1001", **body: Any) -> dict[str, Any]:
        body.setdefault("return_id", next_return_id())
        if not body.pop("unknown_order", False):
            order_name = fresh_order(order_name)
        else:
            body["unknown_order"] = True
        response = await self.http.post(
            "/_sandbox/returns", json={"order_name": order_name, **body}
        )
        response.raise_for_status()
        return response.json()

    async def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = await self.http.post(path, json=body or {})
        response.raise_for_status()
        return response.json()

    async def records(self) -> dict[str, Any]:
        response = await self.http.get("/_sandbox/records")
        response.raise_for_status()
        return response.json()

    async def aclose(self) -> None:
        await self.http.aclose()


def created_event(
    loop_return: dict[str, Any], topic: str = "return", trigger: str = "return.created"
):
    """The LoopEvent a signed return.created webhook for this return parses into."""
    body = loop_json({"topic": topic, "trigger": trigger, **loop_return})
    return parse_webhook(body, datetime.now(UTC))


async def start_return(
    client: Client,
    settings: Settings,
    loop_return: dict[str, Any],
    config: ReturnConfig | None = None,
) -> WorkflowHandle[Any, Any]:
    """Start a return's workflow exactly as the ingress does (signal-with-start)."""
    return await deliver(client, settings, created_event(loop_return), config)


def store_for(url: str) -> Store:
    store = Store.from_url(url)
    store.create_all()
    return store


@dataclass
class Live:
    """A running worker on a Temporal server, wired to sandboxes and a store."""

    client: Client
    settings: Settings
    store: Store
    loop_url: str
    netsuite_url: str
