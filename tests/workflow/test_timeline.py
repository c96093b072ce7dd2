"""`returnflow timeline` on a real return: the warehouse's wait and the ERP's retry, where ops
would look for them, and the phases adding up to the return's whole life; an exchange's time
in its child, and the child's own timeline."""

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
from tests.workflow.exchanges import blocked, new_item, start_exchange
from tests.workflow.support import (
    WAREHOUSE,
    authorized_return,
    netsuite_faults,
    returned_in_full,
    workflow_result,
)
from workers import ops
from workers.cli import app
from workers.ingress import workflow_id
from workers.timeline import STILL_WAITING, timeline, waiting_for, waiting_for_child
from workflows.contracts import Act
from workflows.exchange import ExchangeChoice, exchange_workflow_id

WAREHOUSE_TAKES_S = 0.6


async def cli(*args: str, **env: str) -> Result:
    """The command as a terminal runs it (its own event loop, so off this one)."""
    run = CliRunner().invoke
    return await asyncio.to_thread(run, app, list(args), env={"COLUMNS": "160", **env})


def on(live: Live) -> dict[str, str]:
    """The environment that points the CLI at the test's Temporal."""
    return {
        "RETURNFLOW_TEMPORAL_ADDRESS": live.client.service_client.config.target_host,
        "RETURNFLOW_TEMPORAL_NAMESPACE": live.client.namespace,
    }


async def test_the_timeline_shows_the_gate_wait_and_the_erp_retry(
    live: Live, loop_driver: LoopDriver, tmp_path: Path
) -> None:
    rid = await authorized_return(live, loop_driver, "#1001", skus=["TEE-BLK-M"])  # 30.00
    await asyncio.sleep(WAREHOUSE_TAKES_S)
    waiting = await cli("timeline", rid, "--json", **on(live))
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


async def test_an_exchange_s_time_in_its_child_and_the_child_s_own_timeline(
    live: Live, loop_driver: LoopDriver
) -> None:
    rid, _ = await returned_in_full(
        live, loop_driver, "#1001", skus=["TEE-BLK-M"], outcome="exchange"
    )

    parent = json.loads((await cli("timeline", rid, "--json", **on(live))).output)
    assert parent["phases_ms"][waiting_for_child("ExchangeOrderWorkflow")] > 0
    [child] = parent["children"]
    assert (child["workflow_id"], child["outcome"]) == (exchange_workflow_id(rid), "completed")
    table = await cli("timeline", rid, **on(live))
    assert f"child {exchange_workflow_id(rid)} (ExchangeOrderWorkflow): completed" in table.output

    own = await cli("timeline", rid, "--exchange", "--json", **on(live))
    assert own.exit_code == 0, own.output
    shown = json.loads(own.output)
    assert shown["workflow_id"] == exchange_workflow_id(rid) and shown["closed"] is not None
    assert {Act.AVAILABILITY.value, Act.SALES_ORDER.value} <= {
        a["name"] for a in shown["activities"]
    }


async def test_a_blocked_exchange_child_shows_its_state_and_the_wait_so_far(live: Live) -> None:
    item = await new_item(live, stock=0)
    rid, handle = await start_exchange(live, item)
    await blocked(handle)

    answer = await cli("timeline", rid, "--exchange", "--json", **on(live))
    assert answer.exit_code == 0, answer.output
    shown = json.loads(answer.output)
    assert (shown["closed"], shown["open_in_state"]) == (None, "blocked")
    assert shown["phases_ms"][STILL_WAITING] > 0
    choice = ExchangeChoice(actor="cx@shop.test", option="refund_instead")
    await ops.choose_exchange_option(live.client, rid, choice)
    await asyncio.wait_for(handle.result(), 20)
    with pytest.raises(ops.ReturnClosedError, match=f"the exchange for return {rid} has closed"):
        await ops.choose_exchange_option(live.client, rid, choice)  # a second answer, too late
