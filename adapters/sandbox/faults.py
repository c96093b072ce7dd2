"""Fault injection shared by every sandbox: latency, 429, 5xx and timeouts on the real API paths.

Controls live under /_sandbox/ and are never faulted, so a test can always reset and audit.
Randomness is seeded so a drill is repeatable.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field


class FaultConfig(BaseModel):
    latency_ms: float = 0
    rate_429: float = Field(default=0, ge=0, le=1)
    rate_5xx: float = Field(default=0, ge=0, le=1)
    rate_timeout: float = Field(default=0, ge=0, le=1)
    timeout_seconds: float = 30.0  # how long a "timeout" hangs before answering 504
    fail_next: list[int] = Field(default_factory=list)  # exact statuses for the next requests
    paths: list[str] = Field(default_factory=list)  # only faults paths starting with these
    seed: int | None = None


ErrorBody = Callable[[int], dict]


class FaultInjector:
    def __init__(self, error_body: ErrorBody) -> None:
        self.config = FaultConfig()
        self._rng = random.Random(0)
        self._error_body = error_body
        self.injected: dict[str, int] = {}

    def configure(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        self.injected = {}

    def _applies(self, path: str) -> bool:
        if path.startswith("/_sandbox"):
            return False
        return not self.config.paths or any(path.startswith(p) for p in self.config.paths)

    def _count(self, key: str) -> None:
        self.injected[key] = self.injected.get(key, 0) + 1

    async def apply(self, path: str) -> Response | None:
        """A faulted response for this request, or None to let it through."""
        if not self._applies(path):
            return None
        cfg = self.config
        if cfg.latency_ms:
            await asyncio.sleep(cfg.latency_ms / 1000)
        if cfg.fail_next:
            status = cfg.fail_next.pop(0)
            self._count(str(status))
            return JSONResponse(self._error_body(status), status_code=status)
        roll = self._rng.random()
        if roll < cfg.rate_429:
            self._count("429")
            return JSONResponse(self._error_body(429), status_code=429)
        roll -= cfg.rate_429
        if roll < cfg.rate_5xx:
            self._count("500")
            return JSONResponse(self._error_body(500), status_code=500)
        roll -= cfg.rate_5xx
        if roll < cfg.rate_timeout:
            self._count("timeout")
            await asyncio.sleep(cfg.timeout_seconds)
            return JSONResponse(self._error_body(504), status_code=504)
        return None


def install_faults(app: FastAPI, injector: FaultInjector) -> None:
    """Wire the injector as middleware and expose its controls under /_sandbox/faults."""

    @app.middleware("http")
    async def _faults(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        faulted = await injector.apply(request.url.path)
        if faulted is not None:
            return faulted
        return await call_next(request)

    @app.post("/_sandbox/faults")
    async def set_faults(config: FaultConfig) -> dict:
        injector.configure(config)
        return {"ok": True, "faults": config.model_dump()}

    @app.get("/_sandbox/faults")
    async def get_faults() -> dict:
        return {"faults": injector.config.model_dump(), "injected": injector.injected}
