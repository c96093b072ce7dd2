"""Fixtures for the Khaos tests: one IKosWeb sandbox per session on loopback, reset per test.

Imported by test_khaos_* and the ERP conformance suite (not a conftest, so the other adapter
tests keep their own). Retries use near-zero delays to keep the suite fast.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from adapters.erp.khaos import KhaosAdapter, KhaosConfig
from adapters.http import RetryPolicy
from adapters.sandbox.catalog import demo_catalog
from adapters.sandbox.khaos import KhaosSandboxControl, create_khaos_sandbox
from adapters.sandbox.server import ServedApp

__all__ = ["khaos_adapter", "khaos_control", "khaos_served"]

KHAOS_USER, KHAOS_PASSWORD = "khaos-test-user", "khaos-test-password"
FAST_RETRY = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)


def make_khaos(base_url: str, max_concurrency: int | None = None, **config: Any) -> KhaosAdapter:
    return KhaosAdapter(
        base_url=base_url,
        username=KHAOS_USER,
        password=KHAOS_PASSWORD,
        config=KhaosConfig(**config),
        retry=FAST_RETRY,
        timeout=5.0,
        max_concurrency=max_concurrency,
    )


@pytest.fixture(scope="session")
def khaos_served() -> Iterator[ServedApp]:
    app = create_khaos_sandbox(demo_catalog(), username=KHAOS_USER, password=KHAOS_PASSWORD)
    with ServedApp(app, name="khaos-sandbox") as served:
        yield served


@pytest.fixture
async def khaos_control(khaos_served: ServedApp) -> AsyncIterator[KhaosSandboxControl]:
    async with KhaosSandboxControl(khaos_served.url) as control:
        await control.reset()
        yield control


@pytest.fixture
async def khaos_adapter(
    khaos_served: ServedApp, khaos_control: KhaosSandboxControl
) -> AsyncIterator[KhaosAdapter]:
    adapter = make_khaos(khaos_served.url)
    yield adapter
    await adapter.aclose()
