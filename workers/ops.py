"""What a person does to a return, as calls on its workflow: shared by the CLI and the demo."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import Client, WorkflowHandle

from workers.ingress import workflow_id
from workflows.exceptions import ExceptionCase
from workflows.model import (
    ApprovalInput,
    CancelInput,
    InspectionInput,
    ReceiptInput,
    RejectionInput,
    ResolveExceptionInput,
    ReturnStatus,
)
from workflows.returns import ReturnWorkflow


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


async def receive(client: Client, return_id: str, actor: str, **kw: Any) -> ReturnStatus:
    return await handle(client, return_id).execute_update(
        ReturnWorkflow.record_receipt, ReceiptInput(actor=actor, **kw)
    )


async def inspect(client: Client, return_id: str, actor: str, **kw: Any) -> ReturnStatus:
    return await handle(client, return_id).execute_update(
        ReturnWorkflow.record_inspection, InspectionInput(actor=actor, **kw)
    )


async def approve(
    client: Client, return_id: str, approver: str, note: str | None = None
) -> ReturnStatus:
    return await handle(client, return_id).execute_update(
        ReturnWorkflow.approve_refund, ApprovalInput(approver=approver, note=note)
    )


async def reject(client: Client, return_id: str, approver: str, reason: str) -> ReturnStatus:
    return await handle(client, return_id).execute_update(
        ReturnWorkflow.reject_refund, RejectionInput(approver=approver, reason=reason)
    )


async def cancel(client: Client, return_id: str, actor: str, reason: str) -> ReturnStatus:
    return await handle(client, return_id).execute_update(
        ReturnWorkflow.cancel_return, CancelInput(actor=actor, reason=reason)
    )


async def resolve(
    client: Client, return_id: str, resolution: ResolveExceptionInput
) -> ExceptionCase:
    return await handle(client, return_id).execute_update(
        ReturnWorkflow.resolve_exception, resolution
    )
