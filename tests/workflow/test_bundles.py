"""Bundles through the whole return, with the example mapping file: a bundle line is received
as its components, a partial receipt is refunded by the bundle's split rule, or held for ops
when the rule says a person decides."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from adapters.sandbox.server import ServedApp
from tests.harness import Live, LoopDriver, erp_records, live_worker, start_return
from tests.workflow.support import (
    WAREHOUSE,
    refused,
    resolution,
    the_one_open_case,
    workflow_result,
)
from workers import ops
from workflows.exceptions import ExceptionKind, OwnerTeam
from workflows.model import InspectedLine, ReceivedLine

EXAMPLE = Path(__file__).parents[2] / "docs" / "mappings.example.toml"


@pytest.fixture(scope="module")
async def bundle_live(
    dev_env: WorkflowEnvironment, sandboxes: tuple[ServedApp, ServedApp], store_url: str
) -> AsyncIterator[Live]:
    """A worker reading the example mapping file, on its own task queue."""
    loop, ns = sandboxes
    async with live_worker(
        dev_env.client,
        loop.url,
        ns.url,
        store_url,
        task_queue="returnflow-bundles",
        mappings_file=str(EXAMPLE),
    ) as live:
        yield live


async def kit_return(
    live: Live, loop_driver: LoopDriver, order: str, sku: str, price: str, tax: str
) -> tuple[str, str]:
    loop_return = await loop_driver.create(
        order, skus=[], extra_lines=[{"sku": sku, "price": price, "tax": tax}]
    )
    rid = str(loop_return["id"])
    await start_return(live.client, live.settings, loop_return)
    await ops.wait_for_state(live.client, rid, {"authorized"}, timeout=15)
    return rid, str(loop_return["line_items"][0]["line_item_id"])


async def test_a_whole_bundle_is_received_and_restocked_as_its_components(
    bundle_live: Live, loop_driver: LoopDriver
) -> None:
    live = bundle_live
    rid, _ = await kit_return(live, loop_driver, "#1001", "KIT-TEE-SCARF", "60.50", "12.10")
    await ops.receive(live.client, rid, WAREHOUSE)
    await ops.inspect(live.client, rid, WAREHOUSE)
    result = await workflow_result(live, rid)
    assert result.state == "closed"
    assert result.erp_refund_amount is not None
    assert result.erp_refund_amount.amount == Decimal("72.60")  # the ERP's sum of both parts
    [receipt] = (await erp_records(live.netsuite_url, rid))["itemReceipt"]
    assert sorted(int(x["quantity"]) for x in receipt["item"]["items"]) == [1, 1]
    row = live.store.get_return(rid)
    assert row is not None and (row.units_received, row.units_restocked) == (2, 2)


async def test_part_of_a_split_bundle_is_refunded_by_its_share(
    bundle_live: Live, loop_driver: LoopDriver
) -> None:
    live = bundle_live
    rid, kit_line = await kit_return(live, loop_driver, "#1001", "KIT-TEE-SCARF", "60.50", "12.10")
    await ops.receive(
        live.client, rid, WAREHOUSE, lines=[ReceivedLine(line_item_id=f"{kit_line}:TEE-BLK-M")]
    )
    await ops.inspect(live.client, rid, WAREHOUSE)
    result = await workflow_result(live, rid)
    assert result.state == "closed" and result.open_exceptions == []
    # Loop's figure for the tee's share (72.60 x 25/60.50) is what the ERP credits for the tee
    assert result.loop_refund_amount is not None
    assert result.loop_refund_amount.amount == Decimal("30.00")
    assert result.erp_refund_amount is not None
    assert result.erp_refund_amount.amount == Decimal("30.00")


async def test_part_of_a_bundle_whose_rule_asks_a_person_is_held_for_ops(
    bundle_live: Live, loop_driver: LoopDriver
) -> None:
    live = bundle_live
    rid, kit_line = await kit_return(
        live, loop_driver, "#1003", "KIT-SNEAKER-CARE", "145.00", "29.00"
    )
    await ops.receive(
        live.client, rid, WAREHOUSE, lines=[ReceivedLine(line_item_id=f"{kit_line}:TEE-WHT-M")]
    )
    case = await the_one_open_case(live, rid, ExceptionKind.PARTIAL_BUNDLE_RETURN, OwnerTeam.OPS)
    assert case.evidence == {
        "bundle_sku": "KIT-SNEAKER-CARE",
        "received": {"SNK-WHT-42": 0, "TEE-WHT-M": 1},
        "expected": {"SNK-WHT-42": 1, "TEE-WHT-M": 1},
    }
    assert (await ops.status(live.client, rid)).state == "received"
    await ops.resolve(live.client, rid, resolution(case, "ops@test", "proceed"))
    await ops.inspect(live.client, rid, WAREHOUSE)
    await ops.wait_for_state(live.client, rid, {"awaiting_approval"})  # 174.00: high value
    await ops.approve(live.client, rid, "finance@test")
    # Loop's whole-bundle figure against the ERP's credit for the tee: finance decides
    mismatch = await the_one_open_case(live, rid, ExceptionKind.AMOUNT_MISMATCH, OwnerTeam.FINANCE)
    await ops.resolve(live.client, rid, resolution(mismatch, "finance@test", "accept_erp_amount"))
    result = await workflow_result(live, rid)
    assert result.state == "closed"
    assert result.erp_refund_amount is not None and result.erp_refund_amount.amount < Decimal(
        "174.00"
    )


async def test_a_reason_the_mapping_file_lacks_is_an_ops_case_not_a_default(
    bundle_live: Live, loop_driver: LoopDriver
) -> None:
    live = bundle_live
    loop_return = await loop_driver.create(
        "#1001", skus=["TEE-BLK-M"], reason="It smelled funny", parent_reason="Other"
    )
    rid = str(loop_return["id"])
    await start_return(live.client, live.settings, loop_return)
    case = await the_one_open_case(live, rid, ExceptionKind.UNMAPPED_CODE, OwnerTeam.OPS)
    assert (case.gate, case.evidence["kind"], case.evidence["value"]) == (
        "validation",
        "reason",
        "It smelled funny",
    )
    assert (await ops.status(live.client, rid)).erp_documents == {}  # no RA on a guess
    await ops.resolve(live.client, rid, resolution(case, "ops@test", "cancel_return"))
    assert (await workflow_result(live, rid)).state == "cancelled"


async def test_an_inspection_grade_picks_the_disposition_from_the_mapping_file(
    bundle_live: Live, loop_driver: LoopDriver
) -> None:
    live = bundle_live
    loop_return = await loop_driver.create("#1001", skus=["TEE-BLK-M", "SCF-RED-OS"])
    rid = str(loop_return["id"])
    tee, scarf = (str(x["line_item_id"]) for x in loop_return["line_items"])
    await start_return(live.client, live.settings, loop_return)
    await ops.wait_for_state(live.client, rid, {"authorized"}, timeout=15)
    await ops.receive(live.client, rid, WAREHOUSE)
    await refused(
        ops.inspect(
            live.client, rid, WAREHOUSE, lines=[InspectedLine(line_item_id=tee, grade="z")]
        ),
        "give a disposition, or a grade the mapping file maps",
    )
    graded = [
        InspectedLine(line_item_id=tee, grade="grade_c"),  # -> scrap
        InspectedLine(line_item_id=scarf, grade="grade_b"),  # -> refurbish
    ]
    await ops.inspect(live.client, rid, WAREHOUSE, lines=graded)
    status = await ops.wait_for_state(live.client, rid, {"awaiting_approval", "closed"})
    assert {"disposition_scrap", "disposition_refurbish"} <= set(status.erp_documents)
    row = live.store.get_return(rid)
    assert row is not None and (row.units_scrapped, row.units_refurbished) == (1, 1)
