"""`returnflow timeline` on a real return: the warehouse's wait and the ERP's retry, where ops
would look for them, and the phases adding up to the return's whole life."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from adapters.http import RetryPolicy
from tests.harness import LoopDriver
from tests.workflow.conftest import Live
from tests.workflow.support import (
    WAREHOUSE,
    authorized_return,
    netsuite_faults,
    workflow_result,
)
from workers import ops
from workers.cli import app
from workers.ingress import workflow_id
from workers.timeline import STILL_WAITING, timeline, waiting_for
from workflows.contracts import Act

WAREHOUSE_TAKES_S = 0.6


async def cli(*args: str, **env: str) -> Result:
    """The command as a terminal runs it (its own event loop, so off this one)."""
    run = CliRunner().invoke
    return await asyncio.to_thread(run, app, list(args), env={"COLUMNS": "160", **env})


async def test_the_timeline_shows_the_gate_wait_and_the_erp_retry(
    live: Live, loop_driver: LoopDriver, tmp_path: Path
) -> None:
    rid = await authorized_return(live, loop_driver, "#1001", skus=["TEE-BLK-M"])  # 30.00
    await asyncio.sleep(WAREHOUSE_TAKES_S)
    server = {
        "RETURNFLOW_TEMPORAL_ADDRESS": live.client.service_client.config.target_host,
        "RETURNFLOW_TEMPORAL_NAMESPACE": live.client.namespace,
    }
    waiting = await cli("timeline", rid, "--json", **server)
    assert waiting.exit_code == 0, waiting.output
    open_now = json.loads(waiting.output)
    assert (open_now["closed"], open_now["open_in_state"]) == (None, "authorized")
    assert open_now["phases_ms"][STILL_WAITING] >= WAREHOUSE_TAKES_S * 1000
    # the receipt's first call throttled through all of the adapter's own tries (adapters/http.py),
    # so the activity's first attempt fails and Temporal retries it
    throttled = [429] * RetryPolicy().attempts
    async with netsuite_faults(live, fail_next=throttled):
        await ops.receive(live.client, rid, WAREHOUSE)
        await ops.inspect(live.client, rid, WAREHOUSE)
        await workflow_result(live, rid)
    history = await live.client.get_workflow_handle(workflow_id(rid)).fetch_history()

    line = timeline(list(history.events), now=time.time())
    assert line.ended is not None
    assert line.total_ms == pytest.approx((line.ended - line.started) * 1000)
    assert line.phases[waiting_for("record_receipt")] >= WAREHOUSE_TAKES_S * 1000
    (receipt,) = [a for a in line.activities if a.name == Act.RECEIVE.value]
    assert (receipt.attempts, receipt.outcome) == (2, "completed")
    assert "429" in receipt.last_failure

    exported = tmp_path / f"{workflow_id(rid)}.json"
    exported.write_text(history.to_json())
    answer = await cli("timeline", "--file", str(exported), "--json")
    assert answer.exit_code == 0, answer.output
    shown = json.loads(answer.output)
    assert shown["phases_ms"][waiting_for("record_receipt")] >= WAREHOUSE_TAKES_S * 1000
    assert shown["closed"] is not None
    table = await cli("timeline", "--file", str(exported))
    assert "waiting for record_receipt" in table.output
    assert "erp.receive_return" in table.output
