"""ExchangeOrderWorkflow on the dev server with the session's worker and the NetSuite sandbox.

Each test sells its own new items, so stock and sellability changes touch nothing else.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError

from adapters.sandbox.catalog import CatalogCustomer
from adapters.sandbox.netsuite import NetSuiteSandboxControl
from tests.sandbox_records import catalog_order
from tests.workflow.conftest import Live
from tests.workflow.exchanges import ADA, MAIN, ORIGINAL_ORDER, blocked, new_item, start_exchange
from tests.workflow.support import eventually, netsuite_faults, refused
from workflows.exceptions import ExceptionKind, ExceptionStatus, OwnerTeam
from workflows.exchange import (
    ExchangeChoice,
    ExchangeOrderWorkflow,
    ExchangeOutcome,
    ExchangeResult,
    ExchangeStatus,
)

_people = itertools.count(801)


async def result(handle: WorkflowHandle[Any, Any], timeout: float = 20) -> ExchangeResult:
    done: ExchangeResult = await asyncio.wait_for(handle.result(), timeout)
    return done


async def sales_orders(live: Live, return_id: str) -> list[dict[str, Any]]:
    async with NetSuiteSandboxControl(live.netsuite_url) as control:
        rows = await control.records("salesOrder")
    return [r for r in rows if r.get("externalId") == f"loop-{return_id}-so"]


async def choose(handle: WorkflowHandle[Any, Any], **choice: Any) -> ExchangeStatus:
    status: ExchangeStatus = await handle.execute_update(
        ExchangeOrderWorkflow.choose_exchange_option, ExchangeChoice(actor="cx@shop.test", **choice)
    )
    return status


async def test_available_item_becomes_a_sales_order_to_the_customer(live: Live) -> None:
    item = await new_item(live)
    return_id, handle = await start_exchange(live, item)
    done = await result(handle)
    assert done.outcome is ExchangeOutcome.ORDERED and done.exceptions == []
    assert done.sales_order is not None and done.linked_credit_id == "cm-77"
    [so] = await sales_orders(live, return_id)
    assert so["id"] == done.sales_order.id and so["entity"]["id"] == ADA
    assert [(x["item"]["id"], x["quantity"]) for x in so["item"]["items"]] == [(item, 1)]
    assert so["shippingAddress"]["city"] == "London"
    assert "cm-77" in so["memo"] and ORIGINAL_ORDER in so["memo"]
    assert live.store.list_exceptions(return_id=return_id, status=None) == []


async def test_out_of_stock_waits_for_cx_then_orders_when_restocked(live: Live) -> None:
    item = await new_item(live, stock=0)
    return_id, handle = await start_exchange(live, item, recheck_every=timedelta(seconds=1))
    status = await blocked(handle)
    case = status.open_exception
    assert case is not None and case.kind is ExceptionKind.EXCHANGE_BLOCKED
    assert case.owner is OwnerTeam.CX and case.return_id == return_id
    assert case.evidence["items"] == [{"item_id": item, "available": 0, "sellable": True}]
    [stored] = live.store.list_exceptions(return_id=return_id, status=None)
    assert stored.id == case.id and stored.status is ExceptionStatus.OPEN
    assert await sales_orders(live, return_id) == []

    assert (await choose(handle, option="wait")).state == "waiting"
    await asyncio.sleep(1.5)  # a re-check or two, still nothing in stock
    assert (await handle.query(ExchangeOrderWorkflow.status)).state == "waiting"
    async with NetSuiteSandboxControl(live.netsuite_url) as control:
        await control.set_stock(item, MAIN, 3)
    done = await result(handle)
    assert done.outcome is ExchangeOutcome.ORDERED
    assert len(await sales_orders(live, return_id)) == 1
    [stored] = live.store.list_exceptions(return_id=return_id, status=None)
    assert (stored.status, stored.resolution, stored.resolved_by) == (
        ExceptionStatus.RESOLVED,
        "wait",
        "cx@shop.test",
    )


async def test_not_web_sellable_then_other_variant(live: Live) -> None:
    offline = await new_item(live, online=False)
    other = await new_item(live)
    return_id, handle = await start_exchange(live, offline)
    status = await blocked(handle)
    assert status.blocked[0].sellable is False and status.blocked[0].available == 10
    await refused(choose(handle, option="other_variant"), "needs erp_item_id")
    await refused(choose(handle, option="proceed"), "not proceed")
    await refused(choose(handle, option="cancel_return"), "return workflow")
    await choose(handle, option="other_variant", item_id=other)
    done = await result(handle)
    assert done.outcome is ExchangeOutcome.ORDERED
    assert [line.item_id for line in done.lines] == [other]
    [so] = await sales_orders(live, return_id)
    assert [x["item"]["id"] for x in so["item"]["items"]] == [other]
    [case] = done.exceptions
    assert case.resolution == "other_variant"
    assert case.resolution_detail == {"replaced": offline, "item_id": other}


async def test_refund_instead_ends_the_exchange_without_an_order(live: Live) -> None:
    inactive = await new_item(live, inactive=True)
    return_id, handle = await start_exchange(live, inactive)
    await blocked(handle)
    assert (await choose(handle, option="refund_instead")).state == "refund_instead"
    done = await result(handle)
    assert done.outcome is ExchangeOutcome.REFUND_INSTEAD and done.sales_order is None
    assert await sales_orders(live, return_id) == []
    with pytest.raises(RPCError, match="completed"):  # nothing waits for a choice any more
        await choose(handle, option="retry")


async def test_an_erp_outage_goes_to_ops_and_their_retry_resumes(live: Live) -> None:
    item = await new_item(live)
    async with netsuite_faults(live, rate_5xx=1.0, paths=["/services/rest/query/v1/suiteql"]):
        return_id, handle = await start_exchange(live, item)
        status = await blocked(handle, state="erp_failed", timeout=20)
        case = status.open_exception
        assert case is not None and case.kind is ExceptionKind.ERP_POSTING_FAILED
        assert case.owner is OwnerTeam.OPS and case.evidence["activity"] == "erp.check_availability"
        await refused(choose(handle, option="wait"), "erp_posting_failed is resolved by")
    await choose(handle, option="retry")
    done = await result(handle)
    assert done.outcome is ExchangeOutcome.ORDERED
    assert [(c.kind, c.resolution) for c in done.exceptions] == [
        (ExceptionKind.ERP_POSTING_FAILED, "retry")
    ]
    assert len(await sales_orders(live, return_id)) == 1


async def test_order_waits_for_its_customer_and_original_order_on_a_slow_erp(live: Live) -> None:
    item = await new_item(live)
    n = next(_people)
    customer = CatalogCustomer(
        erp_id=str(n), email=f"late{n}@example.com", first_name="Late", last_name=f"Comer{n}"
    )
    order = catalog_order(f"#LATE-{n}", str(770000 + n), customer.email, "TEE-BLK-M")
    async with netsuite_faults(live, latency_ms=150):
        return_id, handle = await start_exchange(
            live, item, customer_id=customer.erp_id, order_id=order.erp_order_id
        )

        async def attempts() -> int:
            pending = (await handle.describe()).raw_description.pending_activities
            return max((p.attempt for p in pending), default=0)

        await eventually(attempts, lambda a: a >= 3, timeout=15, what="sales order retries")
        assert (await handle.query(ExchangeOrderWorkflow.status)).state == "ordering"
        assert await sales_orders(live, return_id) == []  # nothing before its prerequisites
        async with NetSuiteSandboxControl(live.netsuite_url) as control:
            await control.add_customer(customer)
            assert await sales_orders(live, return_id) == []  # the order is still missing
            await control.add_order(order)
            [original] = [
                r for r in await control.records("salesOrder") if r["id"] == order.erp_order_id
            ]
        done = await result(handle, timeout=30)
    assert done.outcome is ExchangeOutcome.ORDERED
    [so] = await sales_orders(live, return_id)
    assert so["entity"]["id"] == customer.erp_id
    assert so["createdDate"] >= original["createdDate"]
