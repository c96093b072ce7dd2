"""The human gates on the dev server: approval, rejection, receipt, inspection and cancel.

Every return goes through real activities against the sandboxes over HTTP; what a gate refuses
is refused by the workflow's own update validators, and what it lets through is checked in the
workflow's status, the ERP sandbox's records and the projection store.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from adapters.erp.netsuite.wire import RECORD_PATH
from tests.harness import LoopDriver, created_event, start_return
from tests.workflow.conftest import Live
from tests.workflow.support import (
    authorized_return,
    config,
    emitted_webhook,
    erp_documents,
    netsuite_faults,
    refund_in_advance,
    refused,
    wait_blocked,
    workflow_result,
)
from workers import ops
from workers.ingress import deliver
from workflows.model import ReceivedLine

WAREHOUSE = "warehouse@test"
ALL_DOCS = {
    "returnAuthorization",
    "itemReceipt",
    "inventoryTransfer",
    "creditMemo",
    "customerRefund",
}


async def test_high_value_refund_waits_for_a_named_approver(
    live: Live, loop_driver: LoopDriver
) -> None:
    rid = await authorized_return(live, loop_driver, "#1002")  # jacket: 180 - 18 + 20% = 194.40

    await refused(ops.approve(live.client, rid, "finance@test"), "while the return is authorized")
    await ops.receive(live.client, rid, WAREHOUSE)
    await ops.inspect(live.client, rid, WAREHOUSE)
    waiting = await ops.wait_for_state(live.client, rid, {"awaiting_approval"}, timeout=10)
    assert waiting.decision is not None
    assert not waiting.decision.auto_approved
    assert waiting.decision.rule == "high_value"
    assert waiting.decision.decided_by == "system"
    assert waiting.loop_refund_amount is not None
    assert waiting.loop_refund_amount.amount == Decimal("194.40")
    assert "credit_memo" not in waiting.erp_documents

    await refused(ops.approve(live.client, rid, ""), "actor identity is required")
    await refused(ops.approve(live.client, rid, "   "), "actor identity is required")

    approved = await ops.approve(live.client, rid, "finance@test", note="checked the photos")
    assert "approval" in approved.gates_passed
    await refused(ops.approve(live.client, rid, "finance@test"), "cannot approve a refund")

    closed = await workflow_result(live, rid)
    assert closed.state == "closed"
    assert closed.decision is not None
    assert closed.decision.decided_by == "finance@test"
    assert closed.decision.rule == "high_value"
    assert closed.erp_refund_amount is not None
    assert closed.erp_refund_amount.amount == Decimal("194.40")
    assert set(await erp_documents(live, rid)) == ALL_DOCS
    approve_rows = [t for t in live.store.audit_trail(rid) if t.event == "approve"]
    assert [(t.actor, t.from_state, t.to_state) for t in approve_rows] == [
        ("finance@test", "awaiting_approval", "refund_approved")
    ]


async def test_rejected_refund_closes_without_credit_or_refund(
    live: Live, loop_driver: LoopDriver
) -> None:
    rid = await authorized_return(live, loop_driver, "#1002")
    await ops.receive(live.client, rid, WAREHOUSE)
    await ops.inspect(live.client, rid, WAREHOUSE)
    await ops.wait_for_state(live.client, rid, {"awaiting_approval"}, timeout=10)

    await refused(ops.reject(live.client, rid, "finance@test", "  "), "needs a reason")
    await refused(ops.reject(live.client, rid, "", "worn"), "actor identity is required")
    await ops.reject(live.client, rid, "finance@test", "worn and washed")

    closed = await workflow_result(live, rid)
    assert closed.state == "closed"
    assert closed.decision is not None
    assert closed.decision.decided_by == "finance@test"
    assert "approval" not in closed.gates_passed
    # the goods were inspected and restocked; only the money stays where it was
    assert set(closed.erp_documents) == {
        "return_authorization",
        "item_receipt",
        "disposition_restock",
    }
    assert closed.erp_refund_amount is None
    docs = await erp_documents(live, rid)
    assert set(docs) == {"returnAuthorization", "itemReceipt", "inventoryTransfer"}, docs
    events = [(t.event, t.to_state, t.actor) for t in live.store.audit_trail(rid)]
    assert ("reject", "rejected", "finance@test") in events
    assert events[-1] == ("close", "closed", "system")


async def test_receipt_gate_refuses_wrong_state_missing_actor_and_duplicates(
    live: Live, loop_driver: LoopDriver
) -> None:
    # a return stuck before authorization (its order is not in the ERP) cannot be received
    stuck = await loop_driver.create("#4711", skus=["TEE-BLK-M"], unknown_order=True)
    await start_return(live.client, live.settings, stuck)
    await wait_blocked(live, stuck["id"])
    await refused(ops.receive(live.client, stuck["id"], WAREHOUSE), "while the return is requested")
    await ops.cancel(live.client, stuck["id"], "ops@test", "test over")

    loop_return = await loop_driver.create("#1001", skus=["TEE-BLK-M", "SCF-RED-OS"])
    rid = loop_return["id"]
    await start_return(live.client, live.settings, loop_return)
    await ops.wait_for_state(live.client, rid, {"authorized"}, timeout=10)
    await refused(ops.inspect(live.client, rid, WAREHOUSE), "while the return is authorized")
    await refused(ops.receive(live.client, rid, ""), "actor identity is required")
    await refused(
        ops.receive(live.client, rid, WAREHOUSE, lines=[ReceivedLine(line_item_id="nope")]),
        "unknown line_item_id",
    )

    received = await ops.receive(live.client, rid, WAREHOUSE, note="two units, one box")
    assert received.state == "received"
    assert received.gates_passed == ["receipt"]
    await refused(ops.receive(live.client, rid, WAREHOUSE), "receipt already recorded")
    await refused(ops.inspect(live.client, rid, ""), "actor identity is required")

    inspected = await ops.inspect(live.client, rid, WAREHOUSE)
    assert inspected.gates_passed == ["receipt", "inspection"]
    await refused(ops.inspect(live.client, rid, WAREHOUSE), "inspection already recorded")
    closed = await workflow_result(live, rid)
    assert closed.state == "closed"
    receive_rows = [t for t in live.store.audit_trail(rid) if t.event == "receive"]
    assert [(t.actor, t.detail.get("note")) for t in receive_rows] == [
        (WAREHOUSE, "two units, one box")
    ]


async def test_damaged_inspection_needs_approval_even_under_the_threshold(
    live: Live, loop_driver: LoopDriver
) -> None:
    rid = await authorized_return(live, loop_driver, "#1001", skus=["TEE-BLK-M"])  # 30.00
    await ops.receive(live.client, rid, WAREHOUSE)
    await ops.inspect(live.client, rid, WAREHOUSE, damaged=True)
    waiting = await ops.wait_for_state(live.client, rid, {"awaiting_approval"}, timeout=10)
    assert waiting.decision is not None
    assert (waiting.decision.auto_approved, waiting.decision.rule) == (False, "damaged_claim")
    await ops.approve(live.client, rid, "finance@test")
    closed = await workflow_result(live, rid)
    assert closed.state == "closed"
    assert closed.decision is not None and closed.decision.decided_by == "finance@test"


async def test_keep_item_outcome_closes_without_any_stock_movement(
    live: Live, loop_driver: LoopDriver
) -> None:
    async with refund_in_advance(live):
        loop_return = await loop_driver.create("#1004", outcome="keep_item")  # tote, 107.99
        rid = loop_return["id"]
        await start_return(live.client, live.settings, loop_return)
        waiting = await ops.wait_for_state(live.client, rid, {"awaiting_approval"}, timeout=10)
        await refused(ops.receive(live.client, rid, WAREHOUSE), "cannot record a receipt")
        await refused(ops.inspect(live.client, rid, WAREHOUSE), "cannot record an inspection")
        assert waiting.decision is not None and waiting.decision.rule == "high_value"
        await ops.approve(live.client, rid, "finance@test")
        closed = await workflow_result(live, rid)

    assert closed.state == "closed"
    assert closed.gates_passed == ["approval"]
    assert "item_receipt" not in closed.erp_documents
    docs = await erp_documents(live, rid)
    assert set(docs) == {"returnAuthorization", "creditMemo", "customerRefund"}, docs
    events = [t.event for t in live.store.audit_trail(rid)]
    assert "settle_without_goods" in events
    assert "receive" not in events and "inspect" not in events


async def test_cancel_before_receipt_ends_the_return(live: Live, loop_driver: LoopDriver) -> None:
    rid = await authorized_return(live, loop_driver, "#1001", skus=["TEE-BLK-M"])
    await refused(ops.cancel(live.client, rid, "ops@test", " "), "needs a reason")
    await refused(ops.cancel(live.client, rid, "", "customer changed mind"), "actor identity")

    cancelled = await ops.cancel(live.client, rid, "ops@test", "customer changed mind")
    assert cancelled.state == "cancelled"
    result = await workflow_result(live, rid)
    assert result.state == "cancelled"
    assert set(await erp_documents(live, rid)) == {"returnAuthorization"}
    last = live.store.audit_trail(rid)[-1]
    assert (last.event, last.from_state, last.to_state, last.actor) == (
        "cancel",
        "authorized",
        "cancelled",
        "ops@test",
    )
    assert last.detail["reason"] == "customer changed mind"


async def test_loop_cancel_before_receipt_cancels_the_return(
    live: Live, loop_driver: LoopDriver
) -> None:
    rid = await authorized_return(live, loop_driver, "#1001", skus=["TEE-BLK-M"])
    cancelled_in_loop = await loop_driver.set_state(rid, "cancelled")
    event = created_event(cancelled_in_loop, trigger="return.updated")
    assert event.state == "cancelled"
    await deliver(live.client, live.settings, event)

    result = await workflow_result(live, rid)
    assert result.state == "cancelled"
    assert "receipt" not in result.gates_passed
    last = live.store.audit_trail(rid)[-1]
    assert (last.event, last.to_state, last.actor) == ("cancel", "cancelled", "loop-webhook")


async def test_finance_group_approves_refunds_above_its_limit(
    live: Live, loop_driver: LoopDriver
) -> None:
    loop_return = await loop_driver.create("#1002")
    rid = loop_return["id"]
    group = config(live, finance_approvers=["cfo@x"], finance_group_above=Decimal("100"))
    await start_return(live.client, live.settings, loop_return, config=group)
    await ops.wait_for_state(live.client, rid, {"authorized"}, timeout=10)
    await ops.receive(live.client, rid, WAREHOUSE)
    await ops.inspect(live.client, rid, WAREHOUSE)
    await ops.wait_for_state(live.client, rid, {"awaiting_approval"}, timeout=10)

    await refused(ops.approve(live.client, rid, "intern@x"), "not in the finance group")
    still = await ops.status(live.client, rid)
    assert still.state == "awaiting_approval" and "approval" not in still.gates_passed

    await ops.approve(live.client, rid, "cfo@x")
    closed = await workflow_result(live, rid)
    assert closed.state == "closed"
    assert closed.decision is not None and closed.decision.decided_by == "cfo@x"


async def test_cancel_accepted_while_the_credit_posts_fails_and_the_return_closes(
    live: Live, loop_driver: LoopDriver
) -> None:
    """A cancel the chart allows (refund_approved) but that loses the race with the credit memo.

    The ERP answers the credit transform slowly, so the cancel is accepted while the credit is
    in flight; once the credit memo exists the return can no longer be cancelled, so the cancel
    must fail with a reason and the return must still finish (not wait forever on the handler).
    """
    rid = await authorized_return(live, loop_driver, "#1001", skus=["TEE-BLK-M"])
    ra = (await ops.status(live.client, rid)).erp_documents["return_authorization"]
    credit_path = f"{RECORD_PATH}/returnAuthorization/{ra.id}/!transform/creditMemo"
    async with netsuite_faults(live, latency_ms=1500, paths=[credit_path]):
        await ops.receive(live.client, rid, WAREHOUSE)
        await ops.inspect(live.client, rid, WAREHOUSE)
        approved = await ops.wait_for_state(live.client, rid, {"refund_approved"}, timeout=10)
        assert "credit_memo" not in approved.erp_documents  # the credit is still in flight
        await refused(
            asyncio.wait_for(ops.cancel(live.client, rid, "ops@test", "changed mind"), 10),
            "before the cancel took effect",
        )
    result = await workflow_result(live, rid)
    assert result.state == "closed"
    assert set(await erp_documents(live, rid)) == ALL_DOCS
    assert "cancel" not in [t.event for t in live.store.audit_trail(rid)]


async def test_receipt_and_cancel_sent_together_both_get_an_answer(
    live: Live, loop_driver: LoopDriver
) -> None:
    """Both updates are valid when sent; whichever the workflow applies first, neither hangs.

    Sent together they usually land in one workflow task, where the cancel wins; the receipt
    must still be answered (with the cancelled status) and the run must finish.
    """
    rid = await authorized_return(live, loop_driver, "#1001", skus=["TEE-BLK-M"])
    receipt, cancel = await asyncio.wait_for(
        asyncio.gather(
            ops.receive(live.client, rid, WAREHOUSE),
            ops.cancel(live.client, rid, "ops@test", "customer changed mind"),
            return_exceptions=True,
        ),
        10,
    )
    result = await workflow_result(live, rid)
    assert result.state == "cancelled"
    assert not isinstance(cancel, BaseException), cancel
    assert cancel.state == "cancelled"
    assert not isinstance(receipt, BaseException), receipt
    assert receipt.state in {"cancelled", "received"}  # cancel first, or receipt then cancel


async def test_label_scans_move_the_return_in_transit_but_only_goods_pass_the_gate(
    live: Live, loop_driver: LoopDriver
) -> None:
    rid = await authorized_return(live, loop_driver, "#1001", skus=["TEE-BLK-M"])
    before = (await ops.status(live.client, rid)).events_seen
    await loop_driver.label(rid, "in_transit", tracking_number="RM1")
    scan = await emitted_webhook(loop_driver, rid, "label.updated")
    assert scan.label_status == "in_transit"
    await deliver(live.client, live.settings, scan)
    shipped = await ops.wait_for_state(live.client, rid, {"in_transit"}, timeout=10)
    assert shipped.gates_passed == [] and shipped.events_seen == before + 1

    await deliver(live.client, live.settings, scan)  # Loop redelivers the same body
    await loop_driver.label(rid, "delivered")
    await deliver(
        live.client, live.settings, await emitted_webhook(loop_driver, rid, "label.updated")
    )
    delivered = await ops.status(live.client, rid)
    assert delivered.events_seen == before + 2  # the duplicate was dropped by its digest
    assert delivered.state == "in_transit"  # a carrier scan is not a receipt
    await refused(ops.inspect(live.client, rid, WAREHOUSE), "while the return is in_transit")

    received = await ops.receive(live.client, rid, WAREHOUSE)
    assert received.state == "received" and received.gates_passed == ["receipt"]
    ships = [t for t in live.store.audit_trail(rid) if t.event == "ship"]
    assert [(t.from_state, t.to_state, t.actor) for t in ships] == [
        ("authorized", "in_transit", "loop-webhook")
    ]
    assert ships[0].detail["label_status"] == "in_transit"
    await ops.inspect(live.client, rid, WAREHOUSE)
    assert (await workflow_result(live, rid)).state == "closed"
