"""The real stack for workflow and end-to-end tests: sandboxes on loopback, real activities.

Temporal servers start once per session (dev server for updates, time-skipping for timers);
each test uses fresh return ids so nothing needs resetting between tests.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from adapters.loop.payload import parse_webhook
from adapters.loop.signature import loop_json
from adapters.sandbox.loop import LoopSandboxControl
from adapters.sandbox.netsuite import NetSuiteSandboxControl
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
COPIES = 100  # fresh copies of each demo order, so no two tests return the same order lines
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
        # the sandbox's customers return a lot across the suite: tests that want the
        # repeat-returner rule turn it on in their own ReturnConfig
        "repeat_returns": 0,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Live:
    """A running worker on a Temporal server, wired to sandboxes and a store."""

    client: Client
    settings: Settings
    store: Store
    loop_url: str
    netsuite_url: str


@asynccontextmanager
async def running_worker(client: Client, settings: Settings) -> AsyncIterator[Adapters]:
    adapters = Adapters.from_settings(settings)
    worker: Worker = build_worker(client, settings, adapters)
    async with worker:
        yield adapters
    await adapters.aclose()


@asynccontextmanager
async def live_worker(
    client: Client, loop_url: str, netsuite_url: str, store_url: str, **overrides: Any
) -> AsyncIterator[Live]:
    """A real worker on `client`'s server, wired to the sandboxes and the store."""
    settings = settings_for(loop_url, netsuite_url, store_url, **overrides)
    async with running_worker(client, settings) as adapters:
        yield Live(client, settings, adapters.store, loop_url, netsuite_url)


class LoopDriver(LoopSandboxControl):
    """The Loop sandbox's controls, creating each return on a never-used copy of its order."""

    async def create(self, order_name: str = "#1001", **body: Any) -> dict[str, Any]:
        body.setdefault("return_id", next_return_id())
        if not body.pop("unknown_order", False):
            order_name = fresh_order(order_name)
        else:
            body["unknown_order"] = True
        created: dict[str, Any] = await self.create_return(order_name, **body)
        return created


async def erp_records(netsuite_url: str, return_id: str) -> dict[str, list[dict[str, Any]]]:
    """Record type -> every NetSuite sandbox record whose external id belongs to this return."""
    async with NetSuiteSandboxControl(netsuite_url) as control:
        records: dict[str, list[dict[str, Any]]] = (await control.dump())["records"]
    prefix = f"loop-{return_id}-".lower()
    found: dict[str, list[dict[str, Any]]] = {}
    for record_type, rows in records.items():
        for row in rows:
            if str(row.get("externalId") or "").lower().startswith(prefix):
                found.setdefault(record_type, []).append(row)
    return found


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
