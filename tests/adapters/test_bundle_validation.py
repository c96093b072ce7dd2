"""Validation with bundles, through the NetSuite sandbox: exploded to components the ERP order
holds, whole kits onto a kit line, and part of a kit refused as a typed PartialBundle failure."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.erp import ErpActivities
from adapters.erp.netsuite import NetSuiteAdapter
from adapters.sandbox.netsuite import NetSuiteSandboxControl
from adapters.sandbox.server import ServedApp
from tests.adapters.netsuite_fixtures import *  # noqa: F403
from tests.adapters.netsuite_fixtures import make_adapter
from tests.sandbox_records import catalog_item, catalog_order
from tests.unit.test_mappings import line, request
from workers.mappings import load_mappings
from workflows.contracts import FailureType, ValidateInput

EXAMPLE = Path(__file__).parents[2] / "docs" / "mappings.example.toml"
KIT = catalog_item("600", "KIT-TEE-SCARF", "60.50")
KIT_ORDER = catalog_order("#KIT-1", "9600", "ada@example.com", "KIT-TEE-SCARF")


@pytest.fixture
async def erp(
    netsuite_served: ServedApp, netsuite_control: NetSuiteSandboxControl
) -> AsyncIterator[ErpActivities]:
    adapter: NetSuiteAdapter = make_adapter(netsuite_served.url)
    yield ErpActivities(adapter, mappings=load_mappings(EXAMPLE))
    await adapter.aclose()


def loop_return(order_name: str, *lines):
    return request(*lines).model_copy(
        update={"order": request().order.model_copy(update={"order_name": order_name})}
    )


async def test_bundle_sold_as_components_is_exploded_onto_their_lines(erp: ErpActivities) -> None:
    validated = await erp.validate_return(
        ValidateInput(request=loop_return("#1001", line("77", "KIT-TEE-SCARF", "60.50")))
    )
    assert [(x.order_line, x.item_id, x.quantity) for x in validated.lines] == [
        ("1", "501", 1),
        ("3", "506", 1),
    ]
    assert validated.line_items == {"77:TEE-BLK-M": "1", "77:SCF-RED-OS": "3"}
    [split] = validated.bundles
    assert [c.refund.amount for c in split.components] == [Decimal("25.00"), Decimal("35.50")]


async def test_kit_line_takes_whole_kits_and_refuses_part_of_one(
    erp: ErpActivities, netsuite_control: NetSuiteSandboxControl
) -> None:
    await netsuite_control.add_item(KIT)
    await netsuite_control.add_order(KIT_ORDER)
    whole = await erp.validate_return(
        ValidateInput(
            request=loop_return(
                "#KIT-1", line("1", "TEE-BLK-M", "25.00"), line("2", "SCF-RED-OS", "35.50")
            )
        )
    )
    assert [(x.order_line, x.item_id, x.quantity) for x in whole.lines] == [("1", "600", 1)]
    assert whole.line_items == {"1": "1", "2": "1"}

    with pytest.raises(ApplicationError) as caught:
        await erp.validate_return(
            ValidateInput(request=loop_return("#KIT-1", line("1", "TEE-BLK-M", "25.00")))
        )
    assert caught.value.type == FailureType.PARTIAL_BUNDLE and caught.value.non_retryable
    assert caught.value.details[0] == {"bundle_sku": "KIT-TEE-SCARF"}
