"""Fixtures for the Loop tests: one sandbox per session on loopback, reset before each test.

Imported by the test_loop_* modules (not a conftest, so the NetSuite tests beside them keep
their own). The sandbox retries webhooks with near-zero delays to keep the suite fast.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from adapters.http import RetryPolicy
from adapters.loop.client import LoopClient
from adapters.sandbox.catalog import demo_catalog
from adapters.sandbox.loop import LoopSandboxControl, create_loop_sandbox
from adapters.sandbox.server import ServedApp

__all__ = ["loop_client", "loop_control", "loop_served"]

API_KEY = "loop-test-key"
WEBHOOK_SECRET = "loop-test-webhook-secret"
FAST_RETRY = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.02)


@pytest.fixture(scope="session")
def loop_served() -> Iterator[ServedApp]:
    app = create_loop_sandbox(
        demo_catalog(),
        API_KEY,
        WEBHOOK_SECRET,
        retry_delays=(0.01, 0.01, 0.01),
        delivery_timeout=2.0,
    )
    with ServedApp(app, name="loop-sandbox") as served:
        yield served


@pytest.fixture
async def loop_control(loop_served: ServedApp) -> AsyncIterator[LoopSandboxControl]:
    async with LoopSandboxControl(loop_served.url) as control:
        await control.reset()
        yield control


@pytest.fixture
async def loop_client(
    loop_served: ServedApp, loop_control: LoopSandboxControl
) -> AsyncIterator[LoopClient]:
    async with LoopClient(loop_served.url, API_KEY, retry=FAST_RETRY, timeout=5.0) as client:
        yield client
