"""Refund governance end to end: one direction per storefront, store credit, refunds that
cannot sync, repeat returners, duplicates, and the customer's history behind each decision."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.harness import LoopDriver, next_return_id, start_return
from tests.workflow.conftest import Live
from tests.workflow.support import (
    WAREHOUSE,
    config,
    erp_documents,
    eventually,
    loop_actions,
    receive_and_inspect,
    receive_and_inspect_only,
    refund_blocked_after_the_credit,
    refund_in_advance,
    refused,
    resolution,
    resolved_in_store,
    returned_in_full,
    the_one_open_case,
    workflow_result,
)
from workers import ops
from workflows.exceptions import ExceptionKind, OwnerTeam
from workflows.model import SyncDirection


async def test_erp_first_pays_from_the_erp_and_closes_loop_without_a_second_refund(
    live: Live, loop_driver: LoopDriver
) -> None:
    rid, status = await returned_in_full(live, loop_driver, "#1001", skus=["TEE-BLK-M"])
    assert "customer_refund" in status.erp_documents
    # Loop is closed, never processed: processing would refund the customer a second time
    assert await loop_actions(loop_driver, rid) == [("close", "done")]
    row = live.store.get_return(rid)
    assert row is not None
    assert (row.refund_path, row.sync_direction) == ("original_tender", "erp-first")


async def test_storefront_first_refunds_at_the_storefront_and_records_it_in_the_erp(
    live: Live, loop_driver: LoopDriver
) -> None:
    loop_return = await loop_driver.create("#1001", skus=["TEE-BLK-M"])
    rid = loop_return["id"]
    storefront_first = config(live, sync_direction=SyncDirection.STOREFRONT_FIRST)
    await start_return(live.client, live.settings, loop_return, storefront_first)
    status = await receive_and_inspect(live, rid)
    assert status.state == "closed"
    assert await loop_actions(loop_driver, rid) == [("process", "queued")]
    refund = status.erp_documents["customer_refund"]
    assert refund.amount is not None and refund.amount.amount == Decimal("30.00")
    row = live.store.get_return(rid)
    assert row is not None and row.sync_direction == "storefront-first"
    trail = [t for t in live.store.audit_trail(rid) if t.event == "refund"]
    assert trail[0].detail["storefront_refund"] == f"loop-return-{rid}"


async def test_store_credit_issues_a_gift_card_in_loop_and_a_liability_in_the_erp(
    live: Live, loop_driver: LoopDriver
) -> None:
    rid, status = await returned_in_full(
        live, loop_driver, "#1001", skus=["TEE-BLK-M"], outcome="store_credit"
    )
    assert "customer_refund" not in status.erp_documents
    liability = status.erp_documents["store_credit"]
    assert liability.amount is not None and liability.amount.amount == Decimal("30.00")
    assert await loop_actions(loop_driver, rid) == [("process", "queued")]
    # NetSuite: the credit memo is applied to the gift card clearing account, nothing paid out
    assert (await erp_documents(live, rid))["customerRefund"] == [f"loop-{rid}-sc"]
    row = live.store.get_return(rid)
    assert row is not None and row.refund_path == "store_credit"


async def test_a_refund_that_cannot_sync_is_cancelled_by_finance_and_the_return_ends_unpaid(
    live: Live, loop_driver: LoopDriver
) -> None:
    loop_return = await loop_driver.create("#1001", skus=["TEE-BLK-M"], refund_skew="5.00")
    rid = loop_return["id"]
    await start_return(live.client, live.settings, loop_return, config(live))
    await receive_and_inspect_only(live, rid)
    rid, case = await refund_blocked_after_the_credit(live, loop_driver, loop_return)
    await refused(
        ops.resolve(live.client, rid, resolution(case, "finance@test", "mark_done")),
        "resolved by one of",
    )
    await ops.resolve(
        live.client, rid, resolution(case, "finance@test", "cancel_refund", note="card expired")
    )
    result = await workflow_result(live, rid)
    assert result.state == "closed"
    assert "customer_refund" not in result.erp_documents
    docs = await erp_documents(live, rid)
    assert "creditMemo" in docs and "customerRefund" not in docs
    # Loop is closed without a refund: the customer is neither paid twice nor silently
    assert await loop_actions(loop_driver, rid) == [("close", "done")]
    await resolved_in_store(live, case, "finance@test", "cancel_refund")
    events = [t.event for t in live.store.audit_trail(rid)]
    assert "abandon_refund" in events and "refund" not in events
    row = live.store.get_return(rid)
    assert row is not None and row.refund_path == "none"


async def test_a_repeat_returner_goes_to_finance_and_cx_is_asked_to_call(
    live: Live, loop_driver: LoopDriver
) -> None:
    strict = config(live, repeat_returns=1, repeat_window_days=30)
    first = await loop_driver.create("#1001", skus=["TEE-BLK-M"])
    await start_return(live.client, live.settings, first, config(live))
    await receive_and_inspect(live, first["id"])

    second = await loop_driver.create("#1001", skus=["TEE-BLK-M"])
    rid = second["id"]
    await start_return(live.client, live.settings, second, strict)
    await receive_and_inspect_only(live, rid)
    status = await ops.wait_for_state(live.client, rid, {"awaiting_approval"})
    assert status.decision is not None and status.decision.rule == "repeat_returner"
    [cx] = [c for c in status.open_exceptions if c.kind is ExceptionKind.HIGH_RISK_CUSTOMER]
    assert (cx.owner, cx.blocking) == (OwnerTeam.CX, False)
    assert cx.evidence["returns_in_window"] >= 1
    await ops.approve(live.client, rid, "finance@test")
    closed = await workflow_result(live, rid)
    assert closed.decision is not None and closed.decision.decided_by == "finance@test"


async def test_a_second_return_of_the_same_order_lines_is_a_duplicate_and_closes_as_one(
    live: Live, loop_driver: LoopDriver
) -> None:
    first = await loop_driver.create("#1002")  # one jacket, returned whole
    await start_return(live.client, live.settings, first, config(live))
    await ops.wait_for_state(live.client, first["id"], {"authorized"}, timeout=10)

    order_name = first["order_name"]
    again = await loop_driver.create_return(order_name, return_id=next_return_id())
    rid = again["id"]
    await start_return(live.client, live.settings, again, config(live))
    case = await the_one_open_case(live, rid, ExceptionKind.DUPLICATE_RETURN, OwnerTeam.OPS)
    assert case.gate == "authorization"
    await ops.resolve(live.client, rid, resolution(case, "ops@test", "close_as_duplicate"))
    result = await workflow_result(live, rid)
    assert result.state == "cancelled"
    assert "returnAuthorization" not in await erp_documents(live, rid)
    # the first return is untouched and still waits for its goods
    assert (await ops.status(live.client, first["id"])).state == "authorized"
    await ops.receive(live.client, first["id"], WAREHOUSE)


async def test_a_rejected_refund_closes_loop_and_refuses_a_second_decision(
    live: Live, loop_driver: LoopDriver
) -> None:
    loop_return = await loop_driver.create("#1001", skus=["TEE-BLK-M"])
    rid = loop_return["id"]
    manual = config(live, auto_approve_below=Decimal("1"))
    await start_return(live.client, live.settings, loop_return, manual)
    await receive_and_inspect_only(live, rid)
    await ops.wait_for_state(live.client, rid, {"awaiting_approval"})
    await refused(ops.approve(live.client, rid, " "), "actor identity")
    await ops.reject(live.client, rid, "finance@test", "photos show wear")
    try:  # refused by the validator while the workflow runs, or as closed once it has ended
        await refused(ops.approve(live.client, rid, "finance@test"), "cannot approve")
    except ops.ReturnClosedError:
        pass
    result = await workflow_result(live, rid)
    assert result.state == "closed" and "customer_refund" not in result.erp_documents
    with pytest.raises(ops.ReturnClosedError, match=f"return {rid} has closed"):
        await ops.approve(live.client, rid, "finance@test")
    assert await eventually(
        lambda: loop_actions(loop_driver, rid), lambda a: a == [("close", "done")], what="closed"
    )


async def test_an_exchange_ships_a_replacement_order_paid_by_the_credit(
    live: Live, loop_driver: LoopDriver
) -> None:
    rid, status = await returned_in_full(
        live, loop_driver, "#1001", skus=["TEE-BLK-M"], outcome="exchange"
    )
    order = status.erp_documents["exchange_order"]
    assert "customer_refund" not in status.erp_documents  # the credit pays for the new order
    docs = await erp_documents(live, rid)
    assert "customerRefund" not in docs and docs["salesOrder"] == [order.external_id]
    assert await loop_actions(loop_driver, rid) == [("process", "queued")]
    events = [(t.event, t.to_state) for t in live.store.audit_trail(rid)]
    assert ("exchange", "exchanged") in events and events[-1] == ("close", "closed")
    [exchange] = [t for t in live.store.audit_trail(rid) if t.event == "exchange"]
    assert exchange.detail["credit_memo_id"] == status.erp_documents["credit_memo"].id
    row = live.store.get_return(rid)
    assert row is not None and row.refund_path == "exchange"


async def test_a_credit_the_erp_refuses_is_finance_s_ledger_case_until_retried(
    live: Live, loop_driver: LoopDriver
) -> None:
    """Keep-item credits an RA whose goods never come: NetSuite refuses unless the account
    allows refunds in advance of the return."""
    loop_return = await loop_driver.create("#1001", skus=["TEE-BLK-M"], outcome="keep_item")
    rid = loop_return["id"]
    await start_return(live.client, live.settings, loop_return, config(live))
    case = await the_one_open_case(live, rid, ExceptionKind.GL_POSTING_FAILED, OwnerTeam.FINANCE)
    assert case.gate == "credit" and "before its items are received" in case.evidence["error"]
    async with refund_in_advance(live):
        await ops.resolve(live.client, rid, resolution(case, "finance@test", "retry"))
        result = await workflow_result(live, rid)
    assert result.state == "closed" and "item_receipt" not in result.erp_documents


async def test_a_return_from_another_address_than_the_order_went_to_needs_finance(
    live: Live, loop_driver: LoopDriver
) -> None:
    loop_return = await loop_driver.create("#1001", skus=["TEE-BLK-M"])
    rid = loop_return["id"]
    elsewhere = {**loop_return, "address": {**loop_return["address"], "zip": "EC1A 1BB"}}
    await start_return(live.client, live.settings, elsewhere, config(live))
    await receive_and_inspect_only(live, rid)
    status = await ops.wait_for_state(live.client, rid, {"awaiting_approval"})
    assert status.decision is not None and status.decision.rule == "address_mismatch"
    await ops.approve(live.client, rid, "finance@test", "customer moved; confirmed by phone")
    assert (await workflow_result(live, rid)).state == "closed"
