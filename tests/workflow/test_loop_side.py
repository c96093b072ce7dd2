"""What Loop says between the gates: review holds, early refunds, cancels both ways, and the
dispositions that move stock out of holding after inspection."""

from __future__ import annotations

import asyncio

from adapters.sandbox.netsuite import NetSuiteSandboxControl
from tests.harness import LoopDriver, created_event, erp_records, start_return
from tests.workflow.conftest import Live
from tests.workflow.support import (
    WAREHOUSE,
    authorized_return,
    config,
    eventually,
    held_once_and_loop_flagged_once,
    loop_actions,
    loop_says,
    refused,
    resolution,
    review_cleared_and_closed,
    the_one_open_case,
    workflow_result,
)
from workers import ops
from workers.ingress import deliver
from workflows.exceptions import ExceptionKind, OwnerTeam
from workflows.model import ErpEvent, InspectedLine, InspectionInput


async def test_loop_review_holds_the_return_until_ops_proceed(
    live: Live, loop_driver: LoopDriver
) -> None:
    rid = await authorized_return(live, loop_driver, "#1001", config(live), skus=["TEE-BLK-M"])
    await loop_says(live, loop_driver, rid, "review")
    case = await the_one_open_case(live, rid, ExceptionKind.MANUAL_REVIEW, OwnerTeam.OPS)
    assert case.evidence["source"] == "loop"
    await refused(ops.receive(live.client, rid, WAREHOUSE), "open exceptions block")
    # the flag came from Loop: returnflow never flags it back (no ping-pong)
    assert ("flag", "done") not in await loop_actions(loop_driver, rid)

    await review_cleared_and_closed(live, loop_driver, rid, case)


async def test_a_refund_in_loop_before_receipt_is_finance_s_to_check(
    live: Live, loop_driver: LoopDriver
) -> None:
    rid = await authorized_return(live, loop_driver, "#1001", config(live), skus=["TEE-BLK-M"])
    await loop_says(live, loop_driver, rid, "closed")
    status = await eventually(
        lambda: ops.status(live.client, rid),
        lambda s: bool(s.open_exceptions),
        what="refund before receipt",
    )
    [case] = status.open_exceptions
    assert (case.kind, case.owner, case.blocking) == (
        ExceptionKind.REFUND_BEFORE_RECEIPT,
        OwnerTeam.FINANCE,
        False,
    )
    assert case.evidence["loop_state"] == "closed"
    assert not status.blocked and status.state == "authorized"
    stored = await eventually(  # the query can show the case before its store write lands
        lambda: asyncio.to_thread(
            live.store.list_exceptions, return_id=rid, owner=OwnerTeam.FINANCE
        ),
        bool,
        what="the case in the store",
    )
    assert [c.id for c in stored] == [case.id]
    await ops.cancel(live.client, rid, "finance@test", "refunded outside returnflow")


async def test_a_cancel_in_loop_before_receipt_closes_the_ra_in_the_erp(
    live: Live, loop_driver: LoopDriver
) -> None:
    rid = await authorized_return(live, loop_driver, "#1001", config(live), skus=["TEE-BLK-M"])
    await loop_says(live, loop_driver, rid, "cancelled")
    result = await workflow_result(live, rid)
    assert result.state == "cancelled"
    [ra] = (await erp_records(live.netsuite_url, rid))["returnAuthorization"]
    assert ra["status"]["id"] == "H"  # Closed
    events = [t.event for t in live.store.audit_trail(rid)]
    assert "erp_ra_closed" in events and "loop_cancelled" not in events
    assert await loop_actions(loop_driver, rid) == []  # Loop already knew


async def test_a_cancel_in_returnflow_cancels_the_return_in_loop(
    live: Live, loop_driver: LoopDriver
) -> None:
    rid = await authorized_return(live, loop_driver, "#1001", config(live), skus=["TEE-BLK-M"])
    await ops.cancel(live.client, rid, "ops@test", "customer phoned to cancel")
    assert await loop_actions(loop_driver, rid) == [("cancel", "done")]
    records = await loop_driver.records()
    assert records["returns"][rid]["state"] == "cancelled"


async def test_inspection_moves_each_line_out_of_holding_by_its_disposition(
    live: Live, loop_driver: LoopDriver
) -> None:
    loop_return = await loop_driver.create("#1001")  # two tees and a scarf
    rid = loop_return["id"]
    lines = [x["line_item_id"] for x in loop_return["line_items"]]
    assert len(lines) == 3
    manual = config(live, auto_approve_below=10_000)
    await start_return(live.client, live.settings, loop_return, manual)
    await ops.wait_for_state(live.client, rid, {"authorized"}, timeout=10)
    await ops.receive(live.client, rid, WAREHOUSE)
    inspection = InspectionInput(
        actor=WAREHOUSE,
        lines=[
            InspectedLine(line_item_id=str(lines[0]), disposition="restock"),
            *[InspectedLine(line_item_id=str(x), disposition="scrap") for x in lines[1:]],
        ],
        note="torn seam",
    )
    await ops.handle(live.client, rid).execute_update("record_inspection", inspection)
    result = await workflow_result(live, rid)
    assert result.state == "closed"
    assert {"disposition_restock", "disposition_scrap"} <= set(result.erp_documents)
    records = await erp_records(live.netsuite_url, rid)
    assert len(records["inventoryTransfer"]) == 1
    assert len(records["inventoryAdjustment"]) == 1
    row = live.store.get_return(rid)
    assert row is not None
    assert (row.units_received, row.units_restocked, row.units_scrapped) == (
        len(lines),
        1,
        len(lines) - 1,
    )
    assert row.disposed_at is not None


async def test_loop_restock_before_inspection_moves_no_stock(
    live: Live, loop_driver: LoopDriver
) -> None:
    """Loop's restock webhook is a signal only: sellable stock moves on the inspection."""
    rid = await authorized_return(live, loop_driver, "#1002", config(live))  # one jacket
    jacket, holding, sellable = "504", "2", "1"
    async with NetSuiteSandboxControl(live.netsuite_url) as control:
        before = await control.available(jacket, sellable)
        await ops.receive(live.client, rid, WAREHOUSE)
        assert await control.on_hand(jacket, holding) >= 1
        restocked = await loop_driver.restock(rid)
        await deliver(
            live.client,
            live.settings,
            created_event(restocked, topic="restock", trigger="restock.requested"),
        )
        status = await eventually(
            lambda: ops.status(live.client, rid),
            lambda s: s.events_seen >= 2,
            what="restock signal seen",
        )
        assert status.state == "received"
        assert await control.available(jacket, sellable) == before
        assert "inventoryTransfer" not in await erp_records(live.netsuite_url, rid)

        await ops.inspect(live.client, rid, WAREHOUSE)
        await eventually(
            lambda: control.available(jacket, sellable),
            lambda n: n == before + 1,
            what="jacket back on sale",
        )


async def test_an_ra_closed_in_the_erp_cancels_the_return_and_loop(
    live: Live, loop_driver: LoopDriver
) -> None:
    rid = await authorized_return(live, loop_driver, "#1001", config(live), skus=["TEE-BLK-M"])
    await ops.erp_event(live.client, rid, ErpEvent(kind="ra_closed", actor="erp:jo", note="fraud"))
    result = await workflow_result(live, rid)
    assert result.state == "cancelled"
    assert await loop_actions(loop_driver, rid) == [("cancel", "done")]
    events = {t.event: t for t in live.store.audit_trail(rid)}
    assert "erp_ra_closed" not in events  # the ERP closed it; returnflow does not again
    assert (events["cancel"].actor, events["cancel"].detail["reason"]) == ("erp:jo", "fraud")


async def test_an_erp_review_flag_holds_the_return_and_flags_loop_once(
    live: Live, loop_driver: LoopDriver
) -> None:
    rid = await authorized_return(live, loop_driver, "#1001", config(live), skus=["TEE-BLK-M"])
    await ops.erp_event(live.client, rid, ErpEvent(kind="review", note="address check"))
    case = await the_one_open_case(live, rid, ExceptionKind.MANUAL_REVIEW, OwnerTeam.OPS)
    assert case.evidence["source"] == "erp"
    await eventually(
        lambda: loop_actions(loop_driver, rid), lambda a: a == [("flag", "done")], what="flagged"
    )
    # Loop's own webhook about the flag comes back: no second case, no second flag
    await loop_says(live, loop_driver, rid, "review")
    await ops.erp_event(live.client, rid, ErpEvent(kind="review"))
    await held_once_and_loop_flagged_once(live, loop_driver, rid, case)

    await review_cleared_and_closed(live, loop_driver, rid, case)


async def test_a_disposition_to_a_location_the_erp_lacks_is_an_ops_case(
    live: Live, loop_driver: LoopDriver
) -> None:
    odd = config(live, disposition_locations={"restock": "sellable", "refurbish": "refurb-east"})
    rid = await authorized_return(live, loop_driver, "#1001", odd, skus=["TEE-BLK-M"])
    await ops.receive(live.client, rid, WAREHOUSE)
    line = (await ops.status(live.client, rid)).erp_documents["item_receipt"]
    assert line is not None
    request_lines = (await loop_driver.records())["returns"][rid]["line_items"]
    inspection = InspectionInput(
        actor=WAREHOUSE,
        lines=[
            InspectedLine(
                line_item_id=str(request_lines[0]["line_item_id"]), disposition="refurbish"
            )
        ],
    )
    await ops.handle(live.client, rid).execute_update("record_inspection", inspection)
    case = await the_one_open_case(live, rid, ExceptionKind.UNMAPPED_LOCATION, OwnerTeam.OPS)
    assert (case.gate, case.evidence["value"]) == ("inspection", "refurb-east")
    assert (await ops.status(live.client, rid)).state == "received"  # nothing moved on
    assert "inventoryTransfer" not in await erp_records(live.netsuite_url, rid)
    await ops.resolve(live.client, rid, resolution(case, "ops@test", "cancel_return"))
    assert (await workflow_result(live, rid)).state == "cancelled"
