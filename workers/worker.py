"""The Temporal worker service: ReturnWorkflow plus every activity, until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities.erp import ErpActivities
from adapters.erp.protocol import ErpAdapter
from adapters.errors import AdapterError
from workers.metrics import ERP_SLOTS, CountActivities, ops_app, serving
from workers.reporting import WORKFLOWS as REPORT_WORKFLOWS
from workers.reporting import report_activities
from workers.settings import Settings
from workers.stop_signals import stop_on_signals
from workers.telemetry import setup_tracing, shutdown_tracing
from workers.temporal import connect
from workers.wiring import Adapters
from workflows.exchange import ExchangeOrderWorkflow
from workflows.returns import ReturnWorkflow

log = logging.getLogger("returnflow.worker")

WORKFLOWS = [ReturnWorkflow, ExchangeOrderWorkflow, *REPORT_WORKFLOWS]


def build_worker(client: Client, settings: Settings, adapters: Adapters) -> Worker:
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=[*adapters.activities(), *report_activities(client, settings, adapters)],
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        max_cached_workflows=settings.max_cached_workflows,
        interceptors=[CountActivities()],
        graceful_shutdown_timeout=timedelta(seconds=settings.graceful_shutdown_seconds),
    )


async def erp_slots(settings: Settings, erp: ErpAdapter) -> int:
    """The ERP account's concurrency limit (NetSuite: governanceLimits), capped by our setting,
    so returnflow never takes the slots other integrations on the same account need."""
    cap = settings.erp_max_concurrency
    try:
        limit = await erp.concurrency_limit()
    except AdapterError as err:
        log.warning("ERP concurrency limit unreadable (%s); using %d slots", err, cap)
        return cap
    return min(limit, cap) if limit else cap


def build_erp_worker(client: Client, settings: Settings, adapters: Adapters, slots: int) -> Worker:
    """ERP activities only, on their own queue, never more in flight than `slots`."""
    if not settings.erp_task_queue:
        raise ValueError("RETURNFLOW_ERP_TASK_QUEUE is not set")
    return Worker(
        client,
        task_queue=settings.erp_task_queue,
        activities=ErpActivities(adapters.erp, adapters.store).all(),
        max_concurrent_activities=slots,
        interceptors=[CountActivities()],
        graceful_shutdown_timeout=timedelta(seconds=settings.graceful_shutdown_seconds),
    )


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run until `stop` is set or SIGTERM/SIGINT arrives, then shut down gracefully: no new
    tasks are polled, in-flight activities get `graceful_shutdown_seconds` to finish (after that
    they are cancelled and Temporal hands them to another worker when their timeout passes)."""
    stop = stop or asyncio.Event()
    stop_on_signals(stop)
    setup_tracing(settings)
    client = await connect(settings, service=True)
    adapters = Adapters.from_settings(settings)
    try:
        workers = [build_worker(client, settings, adapters)]
        if settings.erp_task_queue:
            slots = await erp_slots(settings, adapters.erp)
            ERP_SLOTS.set(slots)
            workers.append(build_erp_worker(client, settings, adapters, slots))
            log.info("ERP activities on %s, %d slots", settings.erp_task_queue, slots)

        async def ready() -> bool:
            running = all(w.is_running for w in workers)
            return running and await client.service_client.check_health()

        async with serving(ops_app(ready), settings.metrics_host, settings.metrics_port):
            await _run_until(stop, workers)
    finally:
        await adapters.aclose()
        shutdown_tracing()


async def _run_until(stop: asyncio.Event, workers: list[Worker]) -> None:
    runs = [asyncio.create_task(w.run()) for w in workers]
    stopped = asyncio.create_task(stop.wait())
    log.info("worker polling %s", ", ".join(w.task_queue for w in workers))
    await asyncio.wait([*runs, stopped], return_when=asyncio.FIRST_COMPLETED)
    log.info("worker shutting down: in-flight activities finish first")
    stopped.cancel()
    await asyncio.gather(*(w.shutdown() for w in workers), return_exceptions=True)
    await asyncio.gather(*runs)  # a worker that failed makes the process exit non-zero
    log.info("worker stopped")
