"""OpenTelemetry traces: one trace from a Loop webhook to the ERP document it caused.

Three links make the chain: the ingress opens a server span from the incoming `traceparent`
(so the Loop delivery and our handling join), Temporal's TracingInterceptor carries the context
through start/signal -> workflow -> activity in Temporal headers, and the httpx instrumentation
opens a client span for every Loop and ERP call (and sends `traceparent` on). The exporter comes
from settings: `otlp` (OTLP over HTTP, endpoint from the setting or OTEL_EXPORTER_OTLP_*),
`console`, or `none` (the default: no provider, no interceptor, no cost).

One process has one telemetry setup; `setup_tracing` installs it and `shutdown_tracing` undoes it
(flushes spans, removes the httpx hooks), so a test can have its own.
"""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.client import Interceptor as ClientInterceptor
from temporalio.contrib.opentelemetry import TracingInterceptor

from workers.settings import Settings

log = logging.getLogger("returnflow.telemetry")
TRACER_NAME = "returnflow"

_provider: TracerProvider | None = None


def build_exporter(settings: Settings) -> SpanExporter | None:
    if settings.otel_exporter == "console":
        return ConsoleSpanExporter()
    if settings.otel_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        if settings.otel_endpoint:
            return OTLPSpanExporter(endpoint=settings.otel_endpoint)
        return OTLPSpanExporter()
    return None


def setup_tracing(settings: Settings, exporter: SpanExporter | None = None) -> bool:
    """Install tracing for this process; False (and nothing installed) when the exporter is none.

    `exporter` overrides the setting (a test passes an in-memory one); spans then go out one by
    one instead of in batches, so the test sees them at once."""
    global _provider
    chosen = exporter or build_exporter(settings)
    if chosen is None:
        return False
    shutdown_tracing()
    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.otel_service_name})
    )
    batch = exporter is None and settings.otel_exporter == "otlp"
    provider.add_span_processor(
        BatchSpanProcessor(chosen) if batch else SimpleSpanProcessor(chosen)
    )
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    _provider = provider
    log.info("tracing on: %s exporter", type(chosen).__name__)
    return True


def shutdown_tracing() -> None:
    global _provider
    if _provider is None:
        return
    HTTPXClientInstrumentor().uninstrument()
    _provider.shutdown()
    _provider = None


def tracer() -> trace.Tracer:
    """Our tracer while tracing is on, else OpenTelemetry's no-op one."""
    if _provider is None:
        return trace.NoOpTracer()
    return _provider.get_tracer(TRACER_NAME)


def client_interceptors() -> list[ClientInterceptor]:
    """Temporal client (and so worker) interceptors: tracing when it is on."""
    if _provider is None:
        return []
    return [TracingInterceptor(tracer())]


class TraceRequests:
    """ASGI middleware: a server span per HTTP request, continuing the caller's trace."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _provider is None:
            await self.app(scope, receive, send)
            return
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        name = f"{scope['method']} {scope['path']}"
        attributes: dict[str, Any] = {
            "http.request.method": scope["method"],
            "url.path": scope["path"],
        }
        with tracer().start_as_current_span(
            name,
            context=propagate.extract(carrier),
            kind=trace.SpanKind.SERVER,
            attributes=attributes,
        ) as span:

            async def send_with_status(message: Message) -> None:
                if message["type"] == "http.response.start":
                    span.set_attribute("http.response.status_code", message["status"])
                await send(message)

            await self.app(scope, receive, send_with_status)
