"""What a person does to a return, as calls on its workflow: shared by the CLI and the demo."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, TypeVar

from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from adapters.store import Store
from workers.ingress import workflow_id
from workflows.exceptions import ExceptionCase, ExceptionStatus, check_resolution
from workflows.exchange import (
    ExchangeChoice,
    ExchangeOrderWorkflow,
    ExchangeStatus,
    exchange_workflow_id,
)
from workflows.model import (
    ApprovalInput,
    CancelInput,
    ErpEvent,
    InspectionInput,
    ReceiptInput,
    RejectionInput,
    ResolveExceptionInput,
    ReturnStatus,
)
from workflows.returns import ReturnWorkflow

T = TypeVar("T")


def handle(client: Client, return_id: str) -> WorkflowHandle[ReturnWorkflow, ReturnStatus]:
    return client.get_workflow_handle_for(ReturnWorkflow.run, workflow_id(return_id))


async def status(client: Client, return_id: str) -> ReturnStatus:
    return await handle(client, return_id).query(ReturnWorkflow.status)


async def wait_for_state(
    client: Client, return_id: str, states: set[str], timeout: float = 30, blocked_ok: bool = False
) -> ReturnStatus:
    """Poll the status query until the return reaches one of `states` (or blocks, if allowed)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            current = await status(client, return_id)
            if current.state in states or (blocked_ok and current.blocked):
                return current
        except Exception:
            current = None
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"return {return_id} did not reach {sorted(states)}; now {current}")
        await asyncio.sleep(0.1)


class ReturnClosedError(Exception):
    """The return's workflow has ended (or ended while the update waited): nothing more can be
    decided on it, which a person should read as that, not as a server error."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message  # what the CLI prints as the refusal


# How the server words an update to a workflow that has closed, or closed before taking it
_CLOSED = ("already completed", "aborted by closing workflow")


async def _update(client: Client, return_id: str, update: Any, arg: Any, result: type[T]) -> T:
    """Send one update to the return and wait for its answer (see _send)."""
    return await _send(handle(client, return_id), f"return {return_id}", update, arg, result)


async def _send(
    target: WorkflowHandle[Any, Any], what: str, update: Any, arg: Any, result: type[T]
) -> T:
    """A validator's refusal raises with its reason, and a closed workflow raises
    ReturnClosedError naming `what` closed.

    `update` is typed Any: the SDK's stubs see an async update declared with description= as
    returning a coroutine, and would refuse every call.
    """
    try:
        return await target.execute_update(update, arg, result_type=result)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND and any(c in err.message for c in _CLOSED):
            raise ReturnClosedError(f"{what} has closed: {err.message}") from None
        raise


async def receive(client: Client, return_id: str, actor: str, **kw: Any) -> ReturnStatus:
    receipt = ReceiptInput(actor=actor, **kw)
    return await _update(client, return_id, ReturnWorkflow.record_receipt, receipt, ReturnStatus)


async def inspect(client: Client, return_id: str, actor: str, **kw: Any) -> ReturnStatus:
    inspection = InspectionInput(actor=actor, **kw)
    return await _update(
        client, return_id, ReturnWorkflow.record_inspection, inspection, ReturnStatus
    )


async def approve(
    client: Client, return_id: str, approver: str, note: str | None = None
) -> ReturnStatus:
    approval = ApprovalInput(approver=approver, note=note)
    return await _update(client, return_id, ReturnWorkflow.approve_refund, approval, ReturnStatus)


async def reject(client: Client, return_id: str, approver: str, reason: str) -> ReturnStatus:
    rejection = RejectionInput(approver=approver, reason=reason)
    return await _update(client, return_id, ReturnWorkflow.reject_refund, rejection, ReturnStatus)


async def cancel(client: Client, return_id: str, actor: str, reason: str) -> ReturnStatus:
    request = CancelInput(actor=actor, reason=reason)
    return await _update(client, return_id, ReturnWorkflow.cancel_return, request, ReturnStatus)


async def resolve(
    client: Client, return_id: str, resolution: ResolveExceptionInput
) -> ExceptionCase:
    return await _update(
        client, return_id, ReturnWorkflow.resolve_exception, resolution, ExceptionCase
    )


async def exchange_status(client: Client, return_id: str) -> ExchangeStatus:
    """Where the return's exchange child stands (it answers its own status query)."""
    child = client.get_workflow_handle(exchange_workflow_id(return_id))
    query: Any = ExchangeOrderWorkflow.status  # see _update on the stubs
    result: ExchangeStatus = await child.query(query, result_type=ExchangeStatus)
    return result


async def choose_exchange_option(
    client: Client, return_id: str, choice: ExchangeChoice
) -> ExchangeStatus:
    """CX answers an exchange_blocked case on the return's exchange child."""
    child = client.get_workflow_handle(exchange_workflow_id(return_id))
    update = ExchangeOrderWorkflow.choose_exchange_option
    return await _send(
        child, f"the exchange for return {return_id}", update, choice, ExchangeStatus
    )


async def erp_event(client: Client, return_id: str, event: ErpEvent) -> None:
    """Tell a return what the ERP did to it (RA closed, flagged for review)."""
    await handle(client, return_id).signal(ReturnWorkflow.erp_event, event)


# Cases the reconciliation and the catch-up sweep open live only in the store: no workflow
# waits on them, so they are resolved there, with the same rules as a workflow's cases.
STORE_ONLY_GATES = frozenset({"reconciliation", "webhooks"})


def resolve_in_store(
    store: Store, case: ExceptionCase, actor: str, action: str, note: str | None = None
) -> ExceptionCase:
    """Resolve a store-only case; refused (ValueError) like the workflow's validator would."""
    if not actor.strip():
        raise ValueError("an actor identity is required")
    problem = check_resolution(case, action, erp_item_id=None, erp_order_id=None)
    if problem:
        raise ValueError(problem)
    resolved = case.model_copy(
        update={
            "status": ExceptionStatus.RESOLVED,
            "resolved_at": datetime.now(UTC),
            "resolved_by": actor,
            "resolution": action,
            "resolution_detail": {"note": note} if note else {},
        }
    )
    store.upsert_exception(resolved)
    return resolved
