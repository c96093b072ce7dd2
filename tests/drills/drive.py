"""Push one return through its gates the way warehouse and finance staff do (workers/ops.py),
patiently: while the worker or the server is down, a step is retried until it lands.

Each step is idempotent from the outside: the status query says which gate the return waits
at, and a refused update ("already recorded") means an earlier attempt landed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus

from workers import ops
from workflows.model import ReturnStatus
from workflows.returns import ReturnWorkflow

STEP_TIMEOUT = 20.0


class DriveError(RuntimeError):
    pass


async def query_status(client: Client, return_id: str) -> ReturnStatus | None:
    """The return's status, or None while nobody can answer (no workflow yet, worker down).

    A finished return answers from its result, which needs no worker to replay its history.
    """
    handle = ops.handle(client, return_id)
    try:
        status: ReturnStatus = await handle.query(
            ReturnWorkflow.status, rpc_timeout=timedelta(seconds=5)
        )
        return status
    except Exception:
        pass
    try:
        described = await handle.describe(rpc_timeout=timedelta(seconds=5))
        if described.status == WorkflowExecutionStatus.COMPLETED:
            return await handle.result(rpc_timeout=timedelta(seconds=5))
    except Exception:
        pass
    return None


async def _step(coro: Coroutine[Any, Any, object]) -> None:
    try:
        await asyncio.wait_for(coro, STEP_TIMEOUT)
    except Exception:
        await asyncio.sleep(0.2)  # the next status query tells whether it landed


async def drive_to(
    client: Client,
    return_id: str,
    final: set[str] | frozenset[str] = frozenset({"closed"}),
    *,
    timeout: float = 300,
    poll: float = 0.1,
) -> ReturnStatus:
    """Answer each gate until the return reaches one of `final`; a blocked return is an error."""
    deadline = time.monotonic() + timeout
    last: ReturnStatus | None = None
    while time.monotonic() < deadline:
        status = await query_status(client, return_id)
        if status is None:
            await asyncio.sleep(poll * 5)
            continue
        last = status
        if status.state in final:
            return status
        if status.blocked:
            kinds = [c.kind for c in status.open_exceptions]
            raise DriveError(f"return {return_id} blocked in {status.state}: {kinds}")
        if status.state in ("authorized", "in_transit"):
            await _step(ops.receive(client, return_id, "dock@drill.example"))
        elif status.state == "received":
            await _step(ops.inspect(client, return_id, "qa@drill.example"))
        elif status.state == "awaiting_approval":
            await _step(ops.approve(client, return_id, "controller@drill.example", "drill"))
        else:
            await asyncio.sleep(poll)
    raise DriveError(f"return {return_id} did not reach {sorted(final)} in {timeout}s: {last}")
