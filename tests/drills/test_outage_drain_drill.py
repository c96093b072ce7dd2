"""Drill: Temporal goes away, then the worker's node is drained (SIGTERM) during the outage.

The deploy files' stop timeouts (45-60 s) assume a worker ends within its graceful window even
when it cannot reach the server: it finishes what is in flight, the SDK gives up on reporting
results after its own retries (about 9 s here), and the process exits 0. Work it could not
report is not lost: once the server is back, a fresh worker picks it up and every return ends
once, with one document of each kind in the ERP.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

from tests.drills.chaos import bounded, create_returns, deliver_created, finish
from tests.drills.drive import drive_to
from tests.drills.stack import open_stack

RETURNS = 20
ERP_LATENCY_MS = 300  # so the drain surely finds activities in flight
SDK_REPORT_RETRIES_S = 15.0  # the SDK's retries of a completion it cannot deliver, with margin


async def test_a_worker_drained_while_temporal_is_down_exits_cleanly_and_loses_nothing(
    tmp_path: Path,
) -> None:
    # a completion the drained worker could not report is retried after this, not after 60 s
    async with open_stack(
        tmp_path, orders=RETURNS, activity_timeout=timedelta(seconds=10)
    ) as stack:
        assert stack.worker is not None
        started = time.monotonic()
        await stack.netsuite.faults(latency_ms=ERP_LATENCY_MS)
        returns = await create_returns(stack, RETURNS)
        ids = [r["id"] for r in returns]
        await deliver_created(stack, returns, 10)
        for _ in range(200):  # the drain must find ERP calls in flight
            if (await stack.netsuite.dump(with_records=False))["governance"]["inFlight"] > 0:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("no ERP call ever reached NetSuite")

        stack.server.kill()  # the outage: no graceful stop for Temporal
        drained = time.monotonic()
        code = await asyncio.to_thread(
            stack.worker.terminate,
            stack.settings.graceful_shutdown_seconds + SDK_REPORT_RETRIES_S,
        )
        took = time.monotonic() - drained
        log = stack.worker.log_tail(200)
        assert code == 0, f"worker exit {code} after {took:.1f}s:\n{log}"
        assert "worker shutting down" in log and "worker stopped" in log

        stack.server.start()
        await stack.server.wait_ready()
        stack.worker.start()
        await bounded(
            ids, 10, lambda rid: drive_to(stack.client, rid, {"closed"}, timeout=120, poll=0.5)
        )
        result = await finish(
            stack,
            ids,
            started,
            disruptions=[f"server SIGKILL, then worker SIGTERM: exited in {took:.1f}s"],
        )

    assert result.audit.findings == [], result.summary()
    assert result.audit.documents["returnAuthorization"] == RETURNS
    assert result.audit.documents["customerRefund"] == RETURNS
