"""Small helpers the workflow tests share: sandbox look-ups, faults, polling, refusals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from adapters.loop.payload import parse_webhook
from adapters.loop.signature import loop_json
from adapters.sandbox.netsuite import NetSuiteSandboxControl
from tests.harness import LoopDriver, erp_records
from tests.workflow.conftest import Live
from workers import ops
from workflows.model import LoopEvent, ReturnConfig, ReturnStatus

T = TypeVar("T")


def config(live: Live, **changes: Any) -> ReturnConfig:
    """The worker's own return config with a few fields changed."""
    return live.settings.return_config().model_copy(update=changes)


async def emitted_webhook(loop_driver: LoopDriver, return_id: str, trigger: str) -> LoopEvent:
    """The last webhook the Loop sandbox emitted for this return and trigger, as ingress parses it.

    Tests have no ingress in the loop, so they hand the sandbox's own payload to the workflow.
    """
    events = (await loop_driver.records())["webhook_events"]
    mine = [e for e in events if str(e["return_id"]) == return_id and e["trigger"] == trigger]
    assert mine, f"no {trigger} webhook for return {return_id}"
    body = loop_json(mine[-1]["payload"])
    return parse_webhook(body, datetime.now(UTC))


async def sales_order_id(live: Live, order_name: str) -> str:
    """The ERP's internal id of the sales order that carries this Shopify order name."""
    async with NetSuiteSandboxControl(live.netsuite_url) as control:
        rows = await control.records("salesOrder")
    ids = [str(row["id"]) for row in rows if row.get("otherRefNum") == order_name]
    assert len(ids) == 1, (order_name, ids)
    return ids[0]


async def erp_documents(live: Live, return_id: str) -> dict[str, list[str]]:
    """Record type -> external ids of every ERP record this return's documents carry."""
    found = await erp_records(live.netsuite_url, return_id)
    return {kind: [row["externalId"] for row in rows] for kind, rows in found.items()}


@asynccontextmanager
async def netsuite_faults(live: Live, **faults: Any) -> AsyncIterator[None]:
    """Fault the NetSuite sandbox for the block; always cleared on the way out."""
    async with NetSuiteSandboxControl(live.netsuite_url) as control:
        await control.faults(**faults)
        try:
            yield
        finally:
            await control.faults()


@asynccontextmanager
async def refund_in_advance(live: Live) -> AsyncIterator[None]:
    """NetSuite's "Refund in Advance of Return": needed to credit an RA whose goods never come."""
    async with NetSuiteSandboxControl(live.netsuite_url) as control:
        await control.preferences(allow_refund_in_advance=True)
        try:
            yield
        finally:
            await control.preferences(allow_refund_in_advance=False)


async def eventually(
    probe: Callable[[], Awaitable[T]],
    accept: Callable[[T], bool],
    timeout: float = 10,
    what: str = "condition",
) -> T:
    """Poll `probe` until `accept` holds; fail with the last value after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if accept(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"{what} not reached in {timeout}s; last value: {value!r}")
        await asyncio.sleep(0.1)


async def refused(call: Awaitable[Any], match: str) -> str:
    """The update is refused by its validator (or handler) with a message containing `match`."""
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await call
    cause = caught.value.cause
    message = cause.message if isinstance(cause, ApplicationError) else str(cause)
    assert match in message, message
    return message


async def wait_blocked(live: Live, return_id: str, timeout: float = 10) -> ReturnStatus:
    status = await ops.wait_for_state(live.client, return_id, set(), timeout, blocked_ok=True)
    assert status.blocked and status.open_exceptions, status
    return status


async def workflow_result(live: Live, return_id: str, timeout: float = 10) -> ReturnStatus:
    """The finished workflow's result: proves the run completed (no handler left hanging)."""
    result: ReturnStatus = await asyncio.wait_for(
        ops.handle(live.client, return_id).result(), timeout
    )
    return result
