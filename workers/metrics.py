"""Metrics and health endpoints: the SDK's Prometheus endpoint plus returnflow's own counters.

Temporal's own metrics (task latencies, slots, poll counts) come from the SDK's Runtime, served
on RETURNFLOW_TEMPORAL_METRICS_PORT. Ours live in a separate prometheus_client registry:

- returnflow_webhooks_total{outcome="accepted|refused", status}  (counted by the ingress)
- returnflow_webhook_ack_seconds{outcome}                        (request in -> answer out)
- returnflow_exceptions_opened_total{kind, owner}                 (counted by the worker)
- returnflow_refunds_total{path="erp|storefront|store_credit"}   (counted by the worker)
- returnflow_erp_activity_slots                                   (the ERP queue's size)

The worker counts through an activity interceptor, so activities stay free of metrics code.
The worker serves our registry with /healthz (alive) and /readyz (polling, Temporal reachable)
on RETURNFLOW_METRICS_PORT; the ingress serves /metrics and /livez on its own port.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio import activity
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from workers.settings import Settings
from workflows.contracts import Act, TransitionRecord
from workflows.exceptions import ExceptionKind, spec
from workflows.model import RefundRequest

log = logging.getLogger("returnflow.metrics")
REGISTRY = CollectorRegistry(auto_describe=True)
WEBHOOKS = Counter(
    "returnflow_webhooks", "Loop webhooks by outcome", ["outcome", "status"], registry=REGISTRY
)
WEBHOOK_ACK = Histogram(
    "returnflow_webhook_ack_seconds",
    "Time from a webhook request reaching the ingress app to its answer starting",
    ["outcome"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
EXCEPTIONS_OPENED = Counter(
    "returnflow_exceptions_opened", "Exception cases opened", ["kind", "owner"], registry=REGISTRY
)
REFUNDS = Counter("returnflow_refunds", "Refunds recorded, by path", ["path"], registry=REGISTRY)
ERP_SLOTS = Gauge(
    "returnflow_erp_activity_slots", "Concurrent ERP activities allowed", registry=REGISTRY
)
WEBHOOK_PATH = "/webhooks/loop"


# --- worker side: count what activities did --------------------------------------------------


def refund_path(request: RefundRequest) -> str:
    return "storefront" if request.storefront_refund_reference else "erp"


def count_activity(name: str, args: list[Any], first_attempt: bool) -> None:
    """Count one successfully completed activity; retries of the same write count once."""
    if not first_attempt:
        return
    if name == Act.STORE_TRANSITION and args and isinstance(args[0], TransitionRecord):
        transition = args[0].transition
        if transition.event == "exception_opened":  # the audit row written once per case
            kind = ExceptionKind(str(transition.detail.get("kind")))
            EXCEPTIONS_OPENED.labels(kind=kind.value, owner=spec(kind).owner.value).inc()
    elif name == Act.REFUND and args and isinstance(args[0], RefundRequest):
        REFUNDS.labels(path=refund_path(args[0])).inc()
    elif name == Act.STORE_CREDIT:
        REFUNDS.labels(path="store_credit").inc()


class _CountingInbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        result = await super().execute_activity(input)
        info = activity.info()
        try:
            count_activity(info.activity_type, list(input.args), info.attempt == 1)
        except Exception:  # a counter must never fail the work it counts
            log.exception("could not count activity %s", info.activity_type)
        return result


class CountActivities(Interceptor):
    """Worker interceptor: counters for exceptions opened and refunds recorded."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _CountingInbound(next)


# --- ingress side ----------------------------------------------------------------------------


class CountWebhooks:
    """ASGI middleware: every answer on the webhook path counted as accepted (2xx) or refused,
    and timed, so the ack-latency objective is watched where it is kept (the sender's view adds
    the network and its own queueing)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != WEBHOOK_PATH:
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = int(message["status"])
                outcome = "accepted" if 200 <= status < 300 else "refused"
                WEBHOOKS.labels(outcome=outcome, status=str(status)).inc()
                WEBHOOK_ACK.labels(outcome=outcome).observe(time.perf_counter() - started)
            await send(message)

        await self.app(scope, receive, counted)


async def scrape() -> Response:
    """Our registry in the Prometheus text format."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def observe_ingress(app: FastAPI) -> None:
    """Traces, webhook counters, /metrics and /livez on the ingress app."""
    from workers.telemetry import TraceRequests

    app.add_middleware(CountWebhooks)
    app.add_middleware(TraceRequests)
    app.add_api_route("/metrics", scrape, methods=["GET"])

    @app.get("/livez")
    async def livez() -> JSONResponse:
        return JSONResponse({"ok": True})


# --- the SDK's Prometheus endpoint -----------------------------------------------------------


@functools.cache
def _runtime(bind_address: str) -> Runtime:
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind_address)))


def temporal_runtime(settings: Settings) -> Runtime | None:
    """A Runtime exporting the SDK's metrics for Prometheus, one per process and address."""
    if settings.temporal_metrics_port is None:
        return None
    return _runtime(f"{settings.metrics_host}:{settings.temporal_metrics_port}")


# --- the worker's own HTTP endpoint ----------------------------------------------------------


def ops_app(ready: Callable[[], Awaitable[bool]]) -> FastAPI:
    """/metrics (our registry), /healthz (the process answers), /readyz (`ready()` is true)."""
    app = FastAPI(title="returnflow worker", docs_url=None, redoc_url=None)
    app.add_api_route("/metrics", scrape, methods=["GET"])

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"ok": True})

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        try:
            ok = await asyncio.wait_for(ready(), timeout=3)
        except Exception:
            ok = False
        return JSONResponse({"ok": ok}, status_code=200 if ok else 503)

    return app


class _Server(uvicorn.Server):
    """uvicorn without its signal capture: the worker owns SIGTERM and shuts down in order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serving(app: FastAPI, host: str, port: int | None) -> AsyncIterator[None]:
    """Serve `app` in this event loop for the duration of the block (nothing if no port)."""
    if port is None:
        yield
        return
    server = _Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        yield
    finally:
        server.should_exit = True
        await task
