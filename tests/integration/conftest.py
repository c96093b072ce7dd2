"""`http`: a client for whichever `ingress` the test module serves (plain or store-acked)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from adapters.sandbox.server import ServedApp


@pytest.fixture
async def http(ingress: ServedApp) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=ingress.url, timeout=30) as client:
        yield client
