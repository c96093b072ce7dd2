"""One return from a signed Loop webhook to a posted NetSuite credit and refund.

Its own Loop sandbox (webhooks aimed at its own ingress) and its own task queue keep it apart
from the tests that start workflows directly; the NetSuite sandbox is the session's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from temporalio.testing import WorkflowEnvironment

from adapters.sandbox.catalog import demo_catalog, with_copies
from adapters.sandbox.loop import LoopSandboxControl, create_loop_sandbox
from adapters.sandbox.server import ServedApp
from tests.harness import (
    COPIES,
    LOOP_KEY,
    WEBHOOK_SECRET,
    Live,
    LoopDriver,
    erp_records,
    live_worker,
)
from workers import ops
from workers.ingress import create_ingress


@pytest.fixture(scope="module")
async def e2e(
    dev_env: WorkflowEnvironment, sandboxes: tuple[ServedApp, ServedApp], store_url: str
) -> AsyncIterator[Live]:
    loop_app = create_loop_sandbox(
        with_copies(demo_catalog(), COPIES),
        LOOP_KEY,
        WEBHOOK_SECRET,
        retry_delays=(0.01, 0.01, 0.01),
        delivery_timeout=5.0,
    )
    with ServedApp(loop_app, name="loop-e2e") as loop:
        async with live_worker(
            dev_env.client, loop.url, sandboxes[1].url, store_url, task_queue="returnflow-e2e"
        ) as live:
            ingress = create_ingress(live.settings, live.client, live.store)
            with ServedApp(ingress, name="ingress-e2e") as served:
                async with LoopSandboxControl(loop.url) as control:
                    await control.webhook_target(f"{served.url}/webhooks/loop")
                yield live


async def test_signed_webhook_to_posted_credit_and_refund(e2e: Live) -> None:
    live = e2e
    async with LoopDriver(live.loop_url) as driver:
        loop_return = await driver.create("#1003", outcome="refund")  # sneaker + discounted tee
        rid = loop_return["id"]
        await ops.wait_for_state(live.client, rid, {"authorized"}, timeout=30)
        await ops.receive(live.client, rid, "dock@warehouse.example")
        await ops.inspect(live.client, rid, "qa@warehouse.example")
        status = await ops.wait_for_state(live.client, rid, {"awaiting_approval", "closed"})
        if status.state == "awaiting_approval":
            await ops.approve(live.client, rid, "controller@finance.example", "checked")
        status = await ops.wait_for_state(live.client, rid, {"closed"})
        loop_side = await driver.records()

    docs = await erp_records(live.netsuite_url, rid)
    assert {k: len(v) for k, v in docs.items()} == {
        "returnAuthorization": 1,
        "itemReceipt": 1,
        "inventoryTransfer": 1,  # inspected goods leave the holding location
        "creditMemo": 1,
        "customerRefund": 1,
    }
    credit = docs["creditMemo"][0]
    loop_refund = Decimal(loop_return["refund"])
    assert Decimal(str(credit["total"])).quantize(Decimal("0.01")) == loop_refund
    assert status.erp_refund_amount is not None and status.erp_refund_amount.amount == loop_refund
    assert Decimal(str(docs["customerRefund"][0]["total"])).quantize(Decimal("0.01")) == loop_refund

    assert loop_side["returns"][rid]["state"] == "closed"
    # erp-first (the default): NetSuite paid, so Loop is closed, never processed (no 2nd refund)
    told = [
        a["action"]
        for a in loop_side["actions"]
        if str(a.get("return_id")) == rid and a.get("action") != "admin_state"
    ]
    assert told == ["close"]

    trail = live.store.audit_trail(rid)
    assert [t.to_state for t in trail if t.from_state != t.to_state][-1] == "closed"
    assert {"dock@warehouse.example", "qa@warehouse.example"} <= {t.actor for t in trail}
