"""Fixtures for the NetSuite tests: one sandbox per session on loopback, reset before each test.

Imported by the test_netsuite_* modules (not a conftest, so the Loop tests beside them keep
their own). Retries use near-zero delays to keep the suite fast.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, TypedDict

import httpx
import pytest

from adapters.erp.netsuite import NetSuiteAdapter, TokenBasedAuth, wire
from adapters.http import RetryPolicy
from adapters.sandbox.catalog import Catalog, demo_catalog
from adapters.sandbox.netsuite import NetSuiteSandboxControl, create_netsuite_sandbox
from adapters.sandbox.server import ServedApp

__all__ = [
    "netsuite_adapter",
    "netsuite_catalog",
    "netsuite_control",
    "netsuite_raw",
    "netsuite_served",
]


class Credentials(TypedDict):
    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str


ACCOUNT_ID = "123456_SB1"
CREDENTIALS: Credentials = {
    "consumer_key": "ns-test-consumer-key",
    "consumer_secret": "ns-test-consumer-secret",
    "token_id": "ns-test-token-id",
    "token_secret": "ns-test-token-secret",
}
MAIN, HOLDING = "1", "2"
FAST_RETRY = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)


def make_adapter(base_url: str, **overrides: Any) -> NetSuiteAdapter:
    settings: dict[str, Any] = {
        "base_url": base_url,
        "account_id": ACCOUNT_ID,
        **CREDENTIALS,
        "holding_location_id": HOLDING,
        "refund_account_id": "1",
        "max_concurrency": 5,
        "retry": FAST_RETRY,
        "timeout": 5.0,
        **overrides,
    }
    return NetSuiteAdapter(**settings)


class SignedClient:
    """Raw TBA-signed requests, for what the adapter would never send (or sends too politely)."""

    def __init__(self, base_url: str, auth: TokenBasedAuth | None = None) -> None:
        self.base_url = base_url
        self.auth = auth or TokenBasedAuth(account_id=ACCOUNT_ID, **CREDENTIALS)
        self.http = httpx.AsyncClient(timeout=10.0)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        url = httpx.URL(self.base_url + path, params=params)
        signed = {**(headers or {}), **await self.auth.sign(method, str(url))}
        content = wire.dumps(body).encode() if body is not None else None
        return await self.http.request(method, url, content=content, headers=signed)

    async def aclose(self) -> None:
        await self.http.aclose()


@pytest.fixture(scope="session")
def netsuite_catalog() -> Catalog:
    return demo_catalog()


@pytest.fixture(scope="session")
def netsuite_served(netsuite_catalog: Catalog) -> Iterator[ServedApp]:
    app = create_netsuite_sandbox(netsuite_catalog, account_id=ACCOUNT_ID, **CREDENTIALS)
    with ServedApp(app, name="netsuite-sandbox") as served:
        yield served


@pytest.fixture
async def netsuite_control(netsuite_served: ServedApp) -> AsyncIterator[NetSuiteSandboxControl]:
    async with NetSuiteSandboxControl(netsuite_served.url) as control:
        await control.reset()
        yield control


@pytest.fixture
async def netsuite_adapter(
    netsuite_served: ServedApp, netsuite_control: NetSuiteSandboxControl
) -> AsyncIterator[NetSuiteAdapter]:
    adapter = make_adapter(netsuite_served.url)
    yield adapter
    await adapter.aclose()


@pytest.fixture
async def netsuite_raw(
    netsuite_served: ServedApp, netsuite_control: NetSuiteSandboxControl
) -> AsyncIterator[SignedClient]:
    client = SignedClient(netsuite_served.url)
    yield client
    await client.aclose()
