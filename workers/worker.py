"""The Temporal worker service: ReturnWorkflow plus every activity, until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from workers.settings import Settings
from workers.temporal import connect
from workers.wiring import Adapters
from workflows.returns import ReturnWorkflow

log = logging.getLogger("returnflow.worker")

WORKFLOWS = [ReturnWorkflow]


def build_worker(client: Client, settings: Settings, adapters: Adapters) -> Worker:
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=adapters.activities(),
        graceful_shutdown_timeout=timedelta(seconds=20),
    )


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run until `stop` is set or a termination signal arrives; in-flight activities finish."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread
            pass
    client = await connect(settings)
    adapters = Adapters.from_settings(settings)
    worker = build_worker(client, settings, adapters)
    log.info("worker polling task queue %s on %s", settings.task_queue, settings.temporal_address)
    async with worker:
        await stop.wait()
    await adapters.aclose()
