"""Exchange children started on their own, each on a fresh item only its test sells, so stock
and sellability changes touch nothing else (tests/workflow/test_exchange.py, test_timeline.py)."""

from __future__ import annotations

import itertools
from typing import Any

from temporalio.client import WorkflowHandle

from adapters.sandbox.netsuite import NetSuiteSandboxControl
from tests.harness import next_return_id
from tests.sandbox_records import SHIP_TO, catalog_item
from tests.workflow.conftest import Live
from tests.workflow.support import config, eventually
from workflows.exchange import (
    ExchangeOrderWorkflow,
    ExchangeStart,
    ExchangeStatus,
    exchange_workflow_id,
)
from workflows.model import SalesOrderLine

MAIN = "1"
_items = itertools.count(8801)

ADA, ORIGINAL_ORDER = "101", "9001"  # demo customer and one of her orders


async def new_item(live: Live, stock: int = 10, **flags: bool) -> str:
    """A fresh item only this test sells, with `stock` units at the sellable location."""
    n = next(_items)
    item = catalog_item(str(n), f"EXC-{n}")
    async with NetSuiteSandboxControl(live.netsuite_url) as control:
        await control.add_item(item)
        await control.set_stock(item.erp_item_id, MAIN, stock)
        if flags:
            await control.item_flags(
                item.erp_item_id, inactive=flags.get("inactive"), online=flags.get("online")
            )
    return item.erp_item_id


async def start_exchange(
    live: Live,
    item_id: str,
    *,
    customer_id: str = ADA,
    order_id: str = ORIGINAL_ORDER,
    **changes: Any,
) -> tuple[str, WorkflowHandle[Any, Any]]:
    return_id = next_return_id()
    start = ExchangeStart(
        return_id=return_id,
        customer_id=customer_id,
        original_order_id=order_id,
        currency="GBP",
        lines=[SalesOrderLine(item_id=item_id, quantity=1)],
        ship_to=SHIP_TO,
        linked_credit_id="cm-77",
        config=config(live, notify_customer_when_blocked=False),
        **changes,
    )
    handle = await live.client.start_workflow(
        ExchangeOrderWorkflow.run,
        start,
        id=exchange_workflow_id(return_id),
        task_queue=live.settings.task_queue,
    )
    return return_id, handle


async def blocked(
    handle: WorkflowHandle[Any, Any], state: str = "blocked", timeout: float = 10
) -> ExchangeStatus:
    async def probe() -> ExchangeStatus:
        status: ExchangeStatus = await handle.query(ExchangeOrderWorkflow.status)
        return status

    return await eventually(
        probe, lambda s: s.state == state, timeout=timeout, what=f"exchange {state}"
    )
