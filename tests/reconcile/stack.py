"""A private stack for issue 7's live tests: its own sandboxes, ingress, store and task queue.

Private so the sweep's and the reconciliation's counts see only their own returns; the Temporal
dev server is the session's (`dev_env`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client

from adapters.erp.netsuite import NetSuiteAdapter
from adapters.loop.client import LoopClient
from adapters.sandbox.catalog import demo_catalog, with_copies
from adapters.sandbox.loop import create_loop_sandbox
from adapters.sandbox.netsuite import create_netsuite_sandbox
from adapters.sandbox.server import ServedApp
from tests.harness import COPIES, LOOP_KEY, NS, WEBHOOK_SECRET, Live, LoopDriver, live_worker
from workers.ingress import create_ingress
from workers.wiring import build_erp, build_loop


@dataclass
class Stack:
    live: Live
    ingress_url: str
    driver: LoopDriver
    loop: LoopClient  # the real API, as returnflow's worker sees it
    erp: NetSuiteAdapter


@asynccontextmanager
async def issue7_stack(
    client: Client, tmp: Path, task_queue: str, **settings: object
) -> AsyncIterator[Stack]:
    catalog = with_copies(demo_catalog(), COPIES)
    loop_app = create_loop_sandbox(
        catalog, LOOP_KEY, WEBHOOK_SECRET, retry_delays=(0.01,), deactivate_after=1
    )
    store_url = f"sqlite:///{tmp / 'issue7.db'}"
    with (
        ServedApp(loop_app, name="loop-issue7") as loop,
        ServedApp(create_netsuite_sandbox(catalog, **NS), name="netsuite-issue7") as ns,
    ):
        async with live_worker(
            client, loop.url, ns.url, store_url, task_queue=task_queue, **settings
        ) as live:
            ingress = create_ingress(live.settings, client, live.store)
            with ServedApp(ingress, name="ingress-issue7") as served:
                driver = LoopDriver(loop.url)
                loop_client = build_loop(live.settings)
                erp = build_erp(live.settings)
                assert isinstance(erp, NetSuiteAdapter)
                try:
                    yield Stack(live, f"{served.url}/webhooks/loop", driver, loop_client, erp)
                finally:
                    await driver.aclose()
                    await loop_client.aclose()
                    await erp.aclose()
