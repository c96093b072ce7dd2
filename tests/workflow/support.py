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

from adapters.erp.netsuite.wire import RECORD_PATH
from adapters.loop.payload import parse_webhook
from adapters.loop.signature import loop_json
from adapters.sandbox.netsuite import NetSuiteSandboxControl
from tests.harness import LoopDriver, created_event, erp_records, start_return
from tests.workflow.conftest import Live
from workers import ops
from workers.ingress import deliver
from workflows.exceptions import ExceptionCase, ExceptionKind, ExceptionStatus, OwnerTeam
from workflows.model import LoopEvent, ResolveExceptionInput, ReturnConfig, ReturnStatus

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


WAREHOUSE = "warehouse@test"
CUSTOMER_NOTE = "Your return needs a quick check by our team; we'll update you soon."


async def visible_with(live: Live, return_id: str, condition: str) -> list[str]:
    query = f'WorkflowId = "return-{return_id}" AND {condition}'
    return [wf.id async for wf in live.client.list_workflows(query)]


async def shows_in_temporal(live: Live, return_id: str, condition: str, present: bool) -> None:
    """Visibility is eventually consistent: poll until the return is (or is no longer) listed."""
    await eventually(
        lambda: visible_with(live, return_id, condition),
        lambda ids: bool(ids) == present,
        what=f"{condition} {'listed' if present else 'gone'} for return {return_id}",
    )


async def the_one_open_case(
    live: Live, return_id: str, kind: ExceptionKind, owner: OwnerTeam
) -> ExceptionCase:
    """The return is blocked by exactly one open case of `kind`, in the status and the store."""
    status = await wait_blocked(live, return_id)
    assert [(c.kind, c.owner, c.blocking) for c in status.open_exceptions] == [
        (kind, owner, True)
    ], status.open_exceptions
    case = status.open_exceptions[0]

    async def in_store() -> tuple[list[tuple[str, ExceptionKind, OwnerTeam]], tuple[bool, int]]:
        stored = live.store.list_exceptions(return_id=return_id)
        row = live.store.get_return(return_id)
        flags = (row.blocked, row.open_exception_count) if row is not None else (False, -1)
        return [(c.id, c.kind, c.owner) for c in stored], flags

    # the status query answers as soon as the case opens; its store writes (the case, then the
    # projection with the audit row) are local activities that may still be running
    await eventually(
        in_store, lambda got: got == ([(case.id, kind, owner)], (True, 1)), what="the store's case"
    )
    assert [c.id for c in live.store.list_exceptions(owner=owner, kind=kind)].count(case.id) == 1
    await shows_in_temporal(live, return_id, f'OpenExceptionKinds = "{kind.value}"', True)
    await shows_in_temporal(live, return_id, f'OwnerTeam = "{owner.value}"', True)
    return case


async def loop_notes(loop_driver: LoopDriver, return_id: str) -> list[str]:
    notes: dict[str, list[dict[str, Any]]] = (await loop_driver.records())["notes"]
    return [note["content"] for note in notes.get(return_id, [])]


def resolution(case: ExceptionCase, actor: str, action: str, **kw: Any) -> ResolveExceptionInput:
    return ResolveExceptionInput(exception_id=case.id, actor=actor, action=action, **kw)


async def resolved_in_store(live: Live, case: ExceptionCase, actor: str, action: str) -> None:
    stored = live.store.get_exception(case.id)
    assert stored is not None
    assert (stored.status, stored.resolved_by, stored.resolution) == (
        ExceptionStatus.RESOLVED,
        actor,
        action,
    )


async def receive_and_inspect_only(live: Live, return_id: str) -> None:
    await ops.wait_for_state(live.client, return_id, {"authorized"}, timeout=10)
    await ops.receive(live.client, return_id, WAREHOUSE)
    await ops.inspect(live.client, return_id, WAREHOUSE)


async def receive_and_inspect(live: Live, return_id: str) -> ReturnStatus:
    await receive_and_inspect_only(live, return_id)
    return await workflow_result(live, return_id)


async def returned_in_full(
    live: Live, loop_driver: LoopDriver, order: str, **spec: object
) -> tuple[str, ReturnStatus]:
    """A new Loop return on a fresh copy of `order`, on the test config, closed: the goods
    arrive and pass inspection."""
    loop_return = await loop_driver.create(order, **spec)
    rid = str(loop_return["id"])
    await start_return(live.client, live.settings, loop_return, config(live))
    status = await receive_and_inspect(live, rid)
    assert status.state == "closed", status
    return rid, status


async def refund_blocked_after_the_credit(
    live: Live, loop_driver: LoopDriver, loop_return: dict[str, Any]
) -> tuple[str, ExceptionCase]:
    """Drive a skewed return to its credit memo, then make NetSuite refuse the customer refund.

    The amount mismatch holds the return right after the credit memo exists, which is when the
    refund transform's path (it names the credit memo) can be faulted; finance then accepts the
    ERP's amount and the refund fails as a business error: the money has partly moved.
    """
    rid = str(loop_return["id"])
    mismatch = await the_one_open_case(live, rid, ExceptionKind.AMOUNT_MISMATCH, OwnerTeam.FINANCE)
    credit_memo = (await ops.status(live.client, rid)).erp_documents["credit_memo"]
    refund_path = f"{RECORD_PATH}/creditMemo/{credit_memo.id}/!transform/customerRefund"
    async with netsuite_faults(live, fail_next=[400], paths=[refund_path]):
        await ops.resolve(
            live.client, rid, resolution(mismatch, "finance@test", "accept_erp_amount")
        )
        failed = await eventually(
            lambda: ops.status(live.client, rid),
            lambda s: s.blocked and s.open_exceptions[0].kind is ExceptionKind.REFUND_SYNC_FAILED,
            what="refund failure opened",
        )
    assert failed.state == "credited"
    case = failed.open_exceptions[0]
    assert (case.owner, case.gate) == (OwnerTeam.FINANCE, "refund")
    return rid, case


async def loop_actions(loop_driver: LoopDriver, return_id: str) -> list[tuple[str, str]]:
    """(action, outcome) of every process/close/cancel/flag call Loop got for this return."""
    actions: list[dict[str, Any]] = (await loop_driver.records())["actions"]
    return [
        (a["action"], a["outcome"])
        for a in actions
        if str(a["return_id"]) == return_id and a["action"] != "admin_state"
    ]


async def authorized_return(
    live: Live,
    loop_driver: LoopDriver,
    order: str,
    config: ReturnConfig | None = None,
    **spec: object,
) -> str:
    """A new Loop return on a fresh copy of `order`, started and waiting for its goods."""
    loop_return = await loop_driver.create(order, **spec)
    await start_return(live.client, live.settings, loop_return, config)
    await ops.wait_for_state(live.client, loop_return["id"], {"authorized"}, timeout=10)
    return str(loop_return["id"])


async def loop_says(live: Live, loop_driver: LoopDriver, return_id: str, state: str) -> None:
    """Loop's admin moves the return; its return.updated webhook reaches the workflow."""
    changed = await loop_driver.set_state(return_id, state)
    await deliver(live.client, live.settings, created_event(changed, trigger="return.updated"))


async def review_cleared_and_closed(
    live: Live, loop_driver: LoopDriver, return_id: str, case: ExceptionCase
) -> None:
    """CX clears the review in Loop (Loop has no unflag call), ops proceed, the goods arrive
    and pass inspection: the return closes."""
    await loop_says(live, loop_driver, return_id, "open")
    await ops.resolve(live.client, return_id, resolution(case, "ops@test", "proceed"))
    await ops.receive(live.client, return_id, WAREHOUSE)
    await ops.inspect(live.client, return_id, WAREHOUSE)
    assert (await workflow_result(live, return_id)).state == "closed"


async def held_once_and_loop_flagged_once(
    live: Live, loop_driver: LoopDriver, return_id: str, case: ExceptionCase
) -> None:
    """An ERP review holds the return on exactly this case and flagged Loop exactly once."""
    status = await ops.status(live.client, return_id)
    assert [c.id for c in status.open_exceptions] == [case.id]
    assert await loop_actions(loop_driver, return_id) == [("flag", "done")]
