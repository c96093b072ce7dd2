"""A whole returnflow deployment on loopback for drills and benchmarks.

Temporal dev server and the worker are OS processes (a drill kills and restarts them); the
sandboxes run in this process on their own threads (they stand for remote systems and must
survive the drill to audit it); the ingress runs here too, or as a process for the benchmarks
that time it. Returns are created on never-used orders of a generated catalog, so any number
of them can run side by side.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from temporalio.client import Client

from adapters.sandbox.catalog import FIRST_GENERATED_ORDER, Catalog, generated_catalog
from adapters.sandbox.erp_control import ErpSandboxControl
from adapters.sandbox.loop import LoopSandboxControl, create_loop_sandbox
from adapters.sandbox.netsuite import NetSuiteSandboxControl, create_netsuite_sandbox
from adapters.sandbox.server import ServedApp
from adapters.store import Store
from tests.drills.erp_records import ErpRecords, NetSuiteRecords, SoapErpRecords
from tests.drills.processes import DevServer, Service, free_port, returnflow_process
from tests.harness import LOOP_KEY, NS, WEBHOOK_SECRET, settings_for
from workers.dev import wait_for_temporal
from workers.dev_erps import erp_sandbox, erp_settings
from workers.ingress import create_ingress
from workers.settings import Settings
from workers.temporal import register_search_attributes

WorkerMode = Literal["process", "none"]
IngressMode = Literal["inline", "process"]


@dataclass
class Stack:
    data_dir: Path
    settings: Settings
    server: DevServer
    client: Client
    catalog: Catalog
    loop: LoopSandboxControl
    netsuite: NetSuiteSandboxControl
    erp: ErpRecords  # the ERP the worker writes to: NetSuite's records unless erp_system says
    ingress_url: str
    worker: Service | None
    ingress: Service | None = None
    _orders: Iterator[str] = field(default_factory=lambda: iter(()))

    def next_order(self) -> str:
        try:
            return next(self._orders)
        except StopIteration:
            raise RuntimeError("the stack's catalog has no unused order left") from None

    async def restart_server(self) -> None:
        """Stop the dev server (SIGTERM) and start it again on the same DB file."""
        self.server.stop()
        self.server.start()
        await self.server.wait_ready()

    def restart_worker(self) -> None:
        """SIGKILL the worker and start a fresh one: nothing it held in memory survives."""
        assert self.worker is not None
        self.worker.kill()
        self.worker.start()

    async def create_return(self, **spec: Any) -> dict[str, Any]:
        """A return in the Loop sandbox on a fresh order (no webhook: the caller delivers it)."""
        created: dict[str, Any] = await self.loop.create_return(self.next_order(), **spec)
        return created


@asynccontextmanager
async def open_stack(
    data_dir: Path,
    orders: int,
    *,
    worker: WorkerMode = "process",
    ingress: IngressMode = "inline",
    concurrency_limit: int = 5,
    persistent: bool = True,
    store_url: str | None = None,
    erp_system: str = "netsuite",
    **overrides: Any,
) -> AsyncIterator[Stack]:
    """Everything up and wired; torn down (processes stopped) on the way out. The store is a
    SQLite file in `data_dir` unless `store_url` names another (an empty database). With
    `erp_system` "khaos" or "prima" the worker writes to that ERP's sandbox instead of
    NetSuite's (which still runs, unused)."""
    catalog = generated_catalog(orders * 2 + 10)  # a quarter repeat a SKU: skipped below
    loop_app = create_loop_sandbox(catalog, LOOP_KEY, WEBHOOK_SECRET)
    ns_app = create_netsuite_sandbox(
        catalog,
        consumer_key=NS["consumer_key"],
        consumer_secret=NS["consumer_secret"],
        token_id=NS["token_id"],
        token_secret=NS["token_secret"],
        concurrency_limit=concurrency_limit,
    )
    async with AsyncExitStack() as stack:
        loop_srv = stack.enter_context(ServedApp(loop_app, name="drill-loop"))
        ns_srv = stack.enter_context(ServedApp(ns_app, name="drill-netsuite"))
        server = DevServer(data_dir, persistent=persistent)
        server.start()
        stack.callback(server.stop)
        await server.wait_ready()
        overrides.setdefault("erp_max_attempts", 10)
        soap_erp: ErpSandboxControl | None = None
        if erp_system != "netsuite":
            erp_srv = stack.enter_context(erp_sandbox(erp_system, catalog))
            overrides.update(erp_settings(erp_system, erp_srv.url, catalog, data_dir))
            soap_erp = ErpSandboxControl(erp_srv.url)
            stack.push_async_callback(soap_erp.aclose)
        settings = settings_for(
            loop_srv.url,
            ns_srv.url,
            store_url or f"sqlite:///{data_dir / 'returnflow.db'}",
            temporal_address=server.address,
            erp_max_concurrency=concurrency_limit,
            ingress_port=free_port(),
            **overrides,
        )
        client = await wait_for_temporal(settings)
        await register_search_attributes(client, settings.temporal_namespace)
        store = Store.from_url(settings.store_url)
        store.create_all()
        ingress_proc: Service | None = None
        if ingress == "inline":
            served = ServedApp(create_ingress(settings, client, store), name="drill-ingress")
            ingress_url = stack.enter_context(served).url
        else:
            ingress_proc = returnflow_process("ingress", settings, data_dir / "ingress.log")
            ingress_proc.start()
            stack.callback(ingress_proc.stop)
            ingress_url = f"http://{settings.ingress_host}:{settings.ingress_port}"
        worker_proc: Service | None = None
        if worker == "process":
            worker_proc = returnflow_process("worker", settings, data_dir / "worker.log")
            worker_proc.start()
            stack.callback(worker_proc.stop)
            watch = asyncio.create_task(_watch(worker_proc, asyncio.current_task()))
            stack.callback(watch.cancel)
        loop_control = LoopSandboxControl(loop_srv.url)
        stack.push_async_callback(loop_control.aclose)
        ns_control = NetSuiteSandboxControl(ns_srv.url)
        stack.push_async_callback(ns_control.aclose)
        yield Stack(
            data_dir=data_dir,
            settings=settings,
            server=server,
            client=client,
            catalog=catalog,
            loop=loop_control,
            netsuite=ns_control,
            erp=(
                NetSuiteRecords(ns_control)
                if soap_erp is None
                else SoapErpRecords(erp_system, soap_erp)
            ),
            ingress_url=ingress_url,
            worker=worker_proc,
            ingress=ingress_proc,
            _orders=iter(generated_order_names(catalog)),
        )


async def _watch(process: Service, owner: asyncio.Task[Any] | None) -> None:
    """A process that dies on its own (not killed or stopped by the drill) fails the run at once."""
    while not process.exited() or process.stopped_on_purpose:  # noqa: ASYNC110 (a child process)
        await asyncio.sleep(0.5)
    sys.stderr.write(f"{process.name} exited on its own:\n{process.log_tail()}\n")
    if owner is not None:
        owner.cancel(f"{process.name} exited on its own")


def generated_order_names(catalog: Catalog) -> list[str]:
    """The generated orders (not the demo ones), in a stable order. Orders that list one SKU on
    two lines are left out: the Loop sandbox cannot return all units of such an order."""
    return [
        name
        for name, order in catalog.orders.items()
        if int(order.order_number) >= FIRST_GENERATED_ORDER
        and len({x.sku for x in order.lines}) == len(order.lines)
    ]
