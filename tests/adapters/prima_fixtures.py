"""Fixtures for the Prima tests: one handler sandbox per session on loopback, reset per test.

The adapter's mapping file is derived from the catalog (SKU "TEE-BLK-M" -> TEE / BLK / M),
as an implementation would write it once from the product master.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from adapters.erp.prima import PrimaAdapter, PrimaConfig
from adapters.http import RetryPolicy
from adapters.sandbox.catalog import Catalog, demo_catalog
from adapters.sandbox.prima import PrimaSandboxControl, create_prima_sandbox, matrix
from adapters.sandbox.server import ServedApp

__all__ = ["prima_adapter", "prima_control", "prima_served"]

FAST_RETRY = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)


def sku_map(catalog: Catalog) -> dict[str, tuple[str, str, str]]:
    return {sku: matrix(sku) for sku in catalog.items}


def make_prima(base_url: str, **config: Any) -> PrimaAdapter:
    config.setdefault("items", sku_map(demo_catalog()))
    return PrimaAdapter(
        base_url=base_url, config=PrimaConfig(**config), retry=FAST_RETRY, timeout=5.0
    )


@pytest.fixture(scope="session")
def prima_served() -> Iterator[ServedApp]:
    with ServedApp(create_prima_sandbox(demo_catalog()), name="prima-sandbox") as served:
        yield served


@pytest.fixture
async def prima_control(prima_served: ServedApp) -> AsyncIterator[PrimaSandboxControl]:
    async with PrimaSandboxControl(prima_served.url) as control:
        await control.reset()
        yield control


@pytest.fixture
async def prima_adapter(
    prima_served: ServedApp, prima_control: PrimaSandboxControl
) -> AsyncIterator[PrimaAdapter]:
    adapter = make_prima(prima_served.url)
    yield adapter
    await adapter.aclose()
