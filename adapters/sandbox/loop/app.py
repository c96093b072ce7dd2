"""create_loop_sandbox: a protocol-faithful Loop server over the shared catalog.

Loop's paths answer under /api/v1 and /api/2026-10 (same handlers, as `v1` aliases 2026-07 and
no payload differences are documented); controls live under /_sandbox/. Faults from
adapters.sandbox.faults hit only the real paths, with Loop-shaped bodies; every real call is
logged (faulted ones too) so a test can count retries.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from adapters.sandbox.catalog import Catalog
from adapters.sandbox.faults import FaultConfig, FaultInjector, install_faults
from adapters.sandbox.loop.api import call_record, real_api
from adapters.sandbox.loop.controls import controls
from adapters.sandbox.loop.errors import LoopHttpError, fault_body
from adapters.sandbox.loop.state import LoopState
from adapters.sandbox.loop.webhooks import EMITTED, WebhookDispatcher

VERSIONS = ("v1", "2026-10")


def create_loop_sandbox(
    catalog: Catalog,
    api_key: str,
    webhook_secret: str,
    *,
    webhook_url: str | None = None,
    retry_delays: Sequence[float] = (0.2, 0.5, 1.0),
    delivery_timeout: float = 5.0,
    deactivate_after: int = 10,
    allow_flagged_processing: bool = False,
) -> FastAPI:
    """The Loop sandbox app; `webhook_url` subscribes it to every emitted topic (kept on reset).

    POST /_sandbox/reset clears returns, records, subscriptions and faults.

    `app.state.loop` is the LoopState, for a composition root that runs in-process; tests should
    speak HTTP to it like any client would.
    """
    hooks = WebhookDispatcher(
        webhook_secret,
        retry_delays=retry_delays,
        timeout=delivery_timeout,
        deactivate_after=deactivate_after,
    )
    world = LoopState(catalog, hooks, allow_flagged_processing=allow_flagged_processing)
    faults = FaultInjector(fault_body)

    def reset() -> None:
        faults.configure(FaultConfig())
        hooks.reset()
        world.reset()
        if webhook_url:
            for topic, trigger in EMITTED:
                hooks.subscribe(topic, trigger, webhook_url, "active")

    reset()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await hooks.aclose()

    app = FastAPI(title="Loop Returns sandbox", lifespan=lifespan)
    app.state.loop = world

    @app.exception_handler(LoopHttpError)
    async def loop_error(_: Request, exc: LoopHttpError) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status)

    router = real_api(world, api_key)
    for version in VERSIONS:
        app.include_router(router, prefix=f"/api/{version}")
    app.include_router(controls(world, reset))
    install_faults(app, faults)

    @app.middleware("http")
    async def log_calls(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        if request.url.path.startswith("/api/"):
            world.api_calls.append(call_record(request, response.status_code))
        return response

    return app
