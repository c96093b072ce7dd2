"""Validation's cost in NetSuite calls, counted by the sandbox's governance: the account's
concurrency slots are what a brand's ERP throughput is, so each call per return matters. SKUs the
order's own lines name are not looked up again; any other SKU still is, and still fails."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.exceptions import ApplicationError

from activities.erp import ErpActivities
from adapters.erp.netsuite import NetSuiteAdapter
from adapters.sandbox.netsuite import NetSuiteSandboxControl
from adapters.sandbox.server import ServedApp
from tests.adapters.netsuite_fixtures import *  # noqa: F403
from tests.adapters.netsuite_fixtures import make_adapter
from tests.unit.test_mappings import line, request
from workflows.contracts import FailureType, ValidateInput


@pytest.fixture
async def erp(netsuite_served: ServedApp) -> AsyncIterator[ErpActivities]:
    adapter: NetSuiteAdapter = make_adapter(netsuite_served.url)
    yield ErpActivities(adapter)
    await adapter.aclose()


def ada_returns(*lines):  # order #1001: TEE-BLK-M x2 (item 501), SCF-RED-OS x1 (item 506)
    return ValidateInput(
        request=request(*lines).model_copy(
            update={"order": request().order.model_copy(update={"order_name": "#1001"})}
        )
    )


async def admitted(control: NetSuiteSandboxControl) -> int:
    return int((await control.governance())["admitted"])


async def test_skus_on_the_order_cost_no_catalogue_query(
    erp: ErpActivities, netsuite_control: NetSuiteSandboxControl
) -> None:
    before = await admitted(netsuite_control)
    validated = await erp.validate_return(
        ada_returns(line("1", "TEE-BLK-M", "25.00"), line("2", "SCF-RED-OS", "35.50"))
    )
    calls = await admitted(netsuite_control) - before
    assert [(x.order_line, x.item_id) for x in validated.lines] == [("1", "501"), ("3", "506")]
    # the order by name, the order, its lines' items, its currency: nothing per returned SKU
    assert calls == 4


async def test_a_sku_not_on_the_order_is_still_looked_up_and_refused(
    erp: ErpActivities, netsuite_control: NetSuiteSandboxControl
) -> None:
    before = await admitted(netsuite_control)
    with pytest.raises(ApplicationError) as off_order:  # in the catalogue, not on this order
        await erp.validate_return(ada_returns(line("1", "JKT-NVY-M", "180.00")))
    assert await admitted(netsuite_control) - before == 5  # one catalogue query more
    assert off_order.value.type == FailureType.UNKNOWN_ITEM
    assert "not on ERP order" in str(off_order.value)

    with pytest.raises(ApplicationError) as unknown:  # in no catalogue at all
        await erp.validate_return(ada_returns(line("1", "NO-SUCH-SKU", "1.00")))
    assert unknown.value.type == FailureType.UNKNOWN_ITEM
    assert unknown.value.details[0] == ["NO-SUCH-SKU"]
