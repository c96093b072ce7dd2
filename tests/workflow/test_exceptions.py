"""Exceptions provoked through real inputs on the dev server, routed, shown and resolved.

Each case is opened by what the sandboxes really answer (an unknown SKU, an order the ERP never
got, 5xx answers until retries are spent, a refund figure that disagrees), shown to its owner in
three places (the status query, the store's queue and the Temporal search attributes), and then
resolved by the resolve_exception update until the return reaches its right end state.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

import httpx

from adapters.erp.netsuite.wire import RECORD_PATH
from tests.harness import LoopDriver, created_event, start_return
from tests.workflow.conftest import Live
from tests.workflow.support import (
    CUSTOMER_NOTE,
    WAREHOUSE,
    erp_documents,
    eventually,
    loop_notes,
    netsuite_faults,
    receive_and_inspect,
    receive_and_inspect_only,
    refund_blocked_after_the_credit,
    refund_in_advance,
    refused,
    resolution,
    resolved_in_store,
    sales_order_id,
    shows_in_temporal,
    the_one_open_case,
    workflow_result,
)
from workers import ops
from workers.ingress import deliver
from workflows.exceptions import ExceptionKind, ExceptionStatus, OwnerTeam
from workflows.model import ResolveExceptionInput


async def test_sku_mismatch_resolved_with_an_erp_item_and_a_saved_mapping(
    live: Live, loop_driver: LoopDriver
) -> None:
    # order #1006 has 3 x TEE-BLK-L (ERP item 502); Loop sends the unit under an alias SKU
    loop_return = await loop_driver.create(
        "#1006", skus=[], extra_lines=[{"sku": "TEE-BLK-LARGE", "price": "25.00", "tax": "5.00"}]
    )
    rid = loop_return["id"]
    await start_return(live.client, live.settings, loop_return)
    case = await the_one_open_case(live, rid, ExceptionKind.SKU_MISMATCH, OwnerTeam.OPS)
    assert case.evidence["sku"] == "TEE-BLK-LARGE"
    assert case.gate == "validation"
    status = await ops.status(live.client, rid)
    assert status.state == "requested"
    assert CUSTOMER_NOTE in await loop_notes(loop_driver, rid)

    # the validator refuses what does not cure a SKU mismatch, or names nothing it knows
    await refused(
        ops.resolve(
            live.client, rid, resolution(case, "ops@test", "use_erp_order", erp_order_id="9006")
        ),
        "sku_mismatch is resolved by one of",
    )
    await refused(
        ops.resolve(live.client, rid, resolution(case, "ops@test", "use_erp_item")),
        "use_erp_item needs erp_item_id",
    )
    await refused(
        ops.resolve(live.client, rid, resolution(case, "ops@test", "teleport")),
        "unknown action",
    )
    await refused(
        ops.resolve(live.client, rid, resolution(case, "", "use_erp_item", erp_item_id="502")),
        "actor identity is required",
    )
    await refused(
        ops.resolve(
            live.client,
            rid,
            ResolveExceptionInput(
                exception_id=f"{rid}-x99",
                actor="ops@test",
                action="use_erp_item",
                erp_item_id="502",
            ),
        ),
        f"no exception {rid}-x99",
    )

    resolved = await ops.resolve(
        live.client,
        rid,
        resolution(
            case, "ops@test", "use_erp_item", erp_item_id="502", save_mapping=True, note="alias"
        ),
    )
    assert (resolved.status, resolved.resolved_by) == (ExceptionStatus.RESOLVED, "ops@test")
    assert live.store.sku_mappings("netsuite").get("TEE-BLK-LARGE") == "502"
    await refused(
        ops.resolve(
            live.client, rid, resolution(case, "ops@test", "use_erp_item", erp_item_id="502")
        ),
        "already resolved",
    )

    closed = await receive_and_inspect(live, rid)
    assert closed.state == "closed"
    assert closed.erp_refund_amount is not None
    assert closed.erp_refund_amount.amount == Decimal("30.00")
    await resolved_in_store(live, case, "ops@test", "use_erp_item")
    await shows_in_temporal(live, rid, 'OpenExceptionKinds = "sku_mismatch"', False)


async def test_order_not_found_resolved_with_the_erp_order(
    live: Live, loop_driver: LoopDriver
) -> None:
    # a guest checkout the ERP holds under another reference: its units are on SO 9006
    loop_return = await loop_driver.create("#4801", skus=["TEE-BLK-L"], unknown_order=True)
    rid = loop_return["id"]
    await start_return(live.client, live.settings, loop_return)
    case = await the_one_open_case(live, rid, ExceptionKind.ORDER_NOT_FOUND, OwnerTeam.OPS)
    assert case.evidence["order_name"] == "#4801"
    assert CUSTOMER_NOTE in await loop_notes(loop_driver, rid)
    await refused(
        ops.resolve(
            live.client, rid, resolution(case, "ops@test", "use_erp_item", erp_item_id="502")
        ),
        "order_not_found is resolved by one of",
    )
    await refused(
        ops.resolve(live.client, rid, resolution(case, "ops@test", "use_erp_order")),
        "use_erp_order needs erp_order_id",
    )

    await ops.resolve(
        live.client, rid, resolution(case, "ops@test", "use_erp_order", erp_order_id="9006")
    )
    authorized = await ops.wait_for_state(live.client, rid, {"authorized"}, timeout=10)
    assert not authorized.blocked
    validate_rows = [t for t in live.store.audit_trail(rid) if t.event == "validate"]
    assert [t.detail["erp_order_id"] for t in validate_rows] == ["9006"]
    closed = await receive_and_inspect(live, rid)
    assert closed.state == "closed"
    await resolved_in_store(live, case, "ops@test", "use_erp_order")


async def test_order_not_found_resolved_by_cancelling_the_return(
    live: Live, loop_driver: LoopDriver
) -> None:
    loop_return = await loop_driver.create("#4802", skus=["TEE-BLK-M"], unknown_order=True)
    rid = loop_return["id"]
    await start_return(live.client, live.settings, loop_return)
    case = await the_one_open_case(live, rid, ExceptionKind.ORDER_NOT_FOUND, OwnerTeam.OPS)
    await ops.resolve(
        live.client, rid, resolution(case, "ops@test", "cancel_return", note="not our order")
    )
    result = await workflow_result(live, rid)
    assert result.state == "cancelled"
    assert result.open_exceptions == []
    assert await erp_documents(live, rid) == {}
    await resolved_in_store(live, case, "ops@test", "cancel_return")
    cancels = [t for t in live.store.audit_trail(rid) if t.event == "cancel"]
    assert [(t.from_state, t.to_state, t.actor) for t in cancels] == [
        ("requested", "cancelled", "ops@test")
    ]
    await shows_in_temporal(live, rid, 'ReturnState = "cancelled"', True)


async def test_erp_posting_failure_after_spent_retries_is_retried_by_ops(
    live: Live, loop_driver: LoopDriver
) -> None:
    # 3 activity attempts x 4 HTTP tries each: every RA transform POST answers 500
    loop_return = await loop_driver.create("#1003", skus=["TEE-WHT-M"])
    rid = loop_return["id"]
    order_id = await sales_order_id(live, loop_return["order_name"])
    ra_path = f"{RECORD_PATH}/salesOrder/{order_id}/!transform/returnAuthorization"
    async with netsuite_faults(live, fail_next=[500] * 12, paths=[ra_path]):
        await start_return(live.client, live.settings, loop_return)
        case = await the_one_open_case(live, rid, ExceptionKind.ERP_POSTING_FAILED, OwnerTeam.OPS)
        assert case.evidence["activity"] == "erp.create_return_authorization"
        assert case.gate == "authorization"
        async with httpx.AsyncClient() as http:
            faults = (await http.get(f"{live.netsuite_url}/_sandbox/faults")).json()
        assert faults["injected"] == {"500": 12}, faults  # every attempt was spent on the ERP
    status = await ops.status(live.client, rid)
    assert status.state == "validated" and "return_authorization" not in status.erp_documents
    assert await erp_documents(live, rid) == {}
    await refused(
        ops.resolve(live.client, rid, resolution(case, "ops@test", "proceed")),
        "erp_posting_failed is resolved by one of",
    )

    await ops.resolve(live.client, rid, resolution(case, "ops@test", "retry"))
    authorized = await ops.wait_for_state(live.client, rid, {"authorized"}, timeout=10)
    assert not authorized.blocked
    docs = await erp_documents(live, rid)
    assert docs == {"returnAuthorization": [f"loop-{rid}-ra"]}
    closed = await receive_and_inspect(live, rid)
    assert closed.state == "closed"
    await resolved_in_store(live, case, "ops@test", "retry")


async def test_amount_mismatch_goes_to_finance_and_the_erp_amount_is_refunded(
    live: Live, loop_driver: LoopDriver
) -> None:
    loop_return = await loop_driver.create("#1001", skus=["TEE-BLK-M"], refund_skew="5.00")
    rid = loop_return["id"]
    await start_return(live.client, live.settings, loop_return)
    await ops.wait_for_state(live.client, rid, {"authorized"}, timeout=10)
    await ops.receive(live.client, rid, WAREHOUSE)
    await ops.inspect(live.client, rid, WAREHOUSE)
    case = await the_one_open_case(live, rid, ExceptionKind.AMOUNT_MISMATCH, OwnerTeam.FINANCE)
    assert (case.evidence["loop_refund"], case.evidence["erp_credit"]) == ("35.00 GBP", "30.00 GBP")
    assert case.evidence["difference"] == "-5.00 GBP"
    status = await ops.status(live.client, rid)
    assert status.state == "refund_approved"
    assert "customer_refund" not in status.erp_documents  # no money moves while blocked
    assert set(await erp_documents(live, rid)) == {
        "returnAuthorization",
        "itemReceipt",
        "inventoryTransfer",
        "creditMemo",
    }
    assert CUSTOMER_NOTE in await loop_notes(loop_driver, rid)

    await ops.resolve(live.client, rid, resolution(case, "finance@test", "accept_erp_amount"))
    closed = await workflow_result(live, rid)
    assert closed.state == "closed"
    assert closed.erp_refund_amount is not None and closed.loop_refund_amount is not None
    assert closed.erp_refund_amount.amount == Decimal("30.00")
    assert closed.loop_refund_amount.amount == Decimal("35.00")
    assert closed.amount_difference is not None
    assert closed.amount_difference.amount == Decimal("-5.00")
    refund = closed.erp_documents["customer_refund"]
    assert refund.amount is not None and refund.amount.amount == Decimal("30.00")
    await resolved_in_store(live, case, "finance@test", "accept_erp_amount")


async def test_audit_trail_is_an_unbroken_chain_of_who_moved_the_return(
    live: Live, loop_driver: LoopDriver
) -> None:
    loop_return = await loop_driver.create("#1002")
    rid = loop_return["id"]
    await start_return(live.client, live.settings, loop_return)
    await ops.wait_for_state(live.client, rid, {"authorized"}, timeout=10)
    await ops.receive(live.client, rid, "dock@test")
    await ops.inspect(live.client, rid, "inspector@test")
    await ops.wait_for_state(live.client, rid, {"awaiting_approval"}, timeout=10)
    await ops.approve(live.client, rid, "finance@test")
    assert (await workflow_result(live, rid)).state == "closed"

    trail = live.store.audit_trail(rid)
    assert [t.seq for t in trail] == list(range(1, len(trail) + 1))
    assert trail[0].from_state == "requested" and trail[-1].to_state == "closed"
    for before, after in itertools.pairwise(trail):
        assert after.from_state == before.to_state, (before, after)
        assert after.at >= before.at
    moves = [(t.event, t.actor) for t in trail if t.from_state != t.to_state]
    assert moves == [
        ("validate", "system"),
        ("authorize", "system"),
        ("receive", "dock@test"),
        ("inspect", "inspector@test"),
        ("request_approval", "system"),
        ("approve", "finance@test"),
        ("credit", "system"),
        ("refund", "system"),
        ("close", "system"),
    ]
    row = live.store.get_return(rid)
    assert row is not None and row.state == "closed" and not row.blocked


async def test_cancel_is_refused_as_a_resolution_once_the_credit_memo_is_posted(
    live: Live, loop_driver: LoopDriver
) -> None:
    loop_return = await loop_driver.create("#1001", skus=["TEE-BLK-M"], refund_skew="5.00")
    await start_return(live.client, live.settings, loop_return)
    await receive_and_inspect_only(live, loop_return["id"])
    rid, case = await refund_blocked_after_the_credit(live, loop_driver, loop_return)

    await refused(
        ops.resolve(live.client, rid, resolution(case, "finance@test", "cancel_return")),
        "cannot be cancelled",
    )
    await refused(ops.cancel(live.client, rid, "finance@test", "too late"), "cannot be cancelled")
    await ops.resolve(live.client, rid, resolution(case, "finance@test", "retry"))
    closed = await workflow_result(live, rid)
    assert closed.state == "closed"
    assert set(await erp_documents(live, rid)) == {
        "returnAuthorization",
        "itemReceipt",
        "inventoryTransfer",
        "creditMemo",
        "customerRefund",
    }


async def test_loop_cancel_after_a_returnless_credit_becomes_an_ops_exception(
    live: Live, loop_driver: LoopDriver
) -> None:
    """Keep-item: no goods ever arrive, so only the money says a cancel came too late."""
    async with refund_in_advance(live):
        loop_return = await loop_driver.create(
            "#1001", skus=["TEE-BLK-M"], outcome="keep_item", refund_skew="5.00"
        )
        await start_return(live.client, live.settings, loop_return)
        rid, refund_case = await refund_blocked_after_the_credit(live, loop_driver, loop_return)

        cancelled_in_loop = await loop_driver.set_state(rid, "cancelled")
        await deliver(
            live.client, live.settings, created_event(cancelled_in_loop, trigger="return.updated")
        )
        both = await eventually(
            lambda: ops.status(live.client, rid),
            lambda s: len(s.open_exceptions) == 2,
            what="late cancel opened",
        )
        assert both.state == "credited"
        late = next(c for c in both.open_exceptions if c.id != refund_case.id)
        assert (late.kind, late.owner) == (ExceptionKind.CANCELLED_AFTER_RECEIPT, OwnerTeam.OPS)
        assert late.evidence["state"] == "credited"

        await refused(
            ops.resolve(live.client, rid, resolution(late, "ops@test", "cancel_return")),
            "cannot be cancelled",
        )
        await ops.resolve(live.client, rid, resolution(late, "ops@test", "proceed"))
        await ops.resolve(live.client, rid, resolution(refund_case, "finance@test", "retry"))
        # the refund posts; Loop then refuses to process a cancelled return, and that is shown
        # to ops as a blocking case instead of the return closing as if the systems agreed
        stuck = await eventually(
            lambda: ops.status(live.client, rid),
            lambda s: s.blocked and s.state == "refunded",
            what="Loop refusal opened",
        )
    assert "item_receipt" not in stuck.erp_documents
    assert "customer_refund" in stuck.erp_documents
    [loop_case] = stuck.open_exceptions
    assert (loop_case.kind, loop_case.owner) == (ExceptionKind.LOOP_SYNC_FAILED, OwnerTeam.OPS)
    assert loop_case.evidence["activity"] == "loop.return_action"
    assert "cancelled" in loop_case.evidence["error"]
    # ops settle it in Loop's admin by hand and say so: the return closes, with that on record
    await ops.resolve(
        live.client, rid, resolution(loop_case, "ops@test", "mark_done", note="closed in admin")
    )
    result = await workflow_result(live, rid)
    assert result.state == "closed"
    assert "loop_step_done_elsewhere" in [t.event for t in live.store.audit_trail(rid)]


async def test_loop_cancel_after_receipt_is_held_for_ops_who_cancel_it(
    live: Live, loop_driver: LoopDriver
) -> None:
    loop_return = await loop_driver.create("#1001", skus=["TEE-BLK-M"])
    rid = loop_return["id"]
    await start_return(live.client, live.settings, loop_return)
    await ops.wait_for_state(live.client, rid, {"authorized"}, timeout=10)
    await ops.receive(live.client, rid, WAREHOUSE)

    cancelled_in_loop = await loop_driver.set_state(rid, "cancelled")
    await deliver(
        live.client, live.settings, created_event(cancelled_in_loop, trigger="return.updated")
    )
    case = await the_one_open_case(live, rid, ExceptionKind.CANCELLED_AFTER_RECEIPT, OwnerTeam.OPS)
    assert (case.gate, case.evidence["state"], case.evidence["by"]) == (
        "inspection",
        "received",
        "loop-webhook",
    )
    # the goods are in the holding location; nothing moves on while a person decides
    assert (await ops.status(live.client, rid)).state == "received"
    await refused(ops.inspect(live.client, rid, WAREHOUSE), "open exceptions block")

    await ops.resolve(
        live.client, rid, resolution(case, "ops@test", "cancel_return", note="customer cancelled")
    )
    result = await workflow_result(live, rid)
    assert result.state == "cancelled"
    assert set(await erp_documents(live, rid)) == {"returnAuthorization", "itemReceipt"}
    await resolved_in_store(live, case, "ops@test", "cancel_return")
