"""`returnflow forwarder`: the store-acked webhooks' forwarder as its own process
(RETURNFLOW_INGRESS_FORWARDER=separate), so the ingress process only verifies, writes and
answers. Several may run: they share the backlog by claiming rows (workers/ingress_forwarder.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from adapters.store import Store
from workers.ingress_forwarder import Forwarder
from workers.metrics import ops_app, serving
from workers.settings import Settings
from workers.stop_signals import stop_on_signals
from workers.temporal import connect

log = logging.getLogger("returnflow.forwarder")
STOP_GRACE_S = 5.0  # on SIGTERM, hand-overs in flight get this long; the rest stay queued


async def run_forwarder(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Forward until `stop` is set or SIGTERM/SIGINT arrives; /healthz, /readyz and /metrics
    on RETURNFLOW_METRICS_PORT when it is set (ready: Temporal answers)."""
    stop = stop or asyncio.Event()
    stop_on_signals(stop)
    # Temporal down: start anyway and retry the backlog until it answers
    client = await connect(settings, lazy=True, service=True)
    store = Store.from_url(settings.store_url)
    store.create_all()
    forwarder = Forwarder(settings, client, store)

    async def ready() -> bool:
        return await client.service_client.check_health()

    async with serving(ops_app(ready), settings.metrics_host, settings.metrics_port):
        task = asyncio.create_task(forwarder.run())
        log.info("forwarding store-acked webhooks every %.2fs when idle", forwarder.poll_s)
        await stop.wait()
        forwarder.stop()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, STOP_GRACE_S)
    log.info("forwarder stopped")
