"""One return end to end on Khaos Control and on Prima: the same workflow, the same worker
wiring the dev stack uses (`returnflow dev --erp khaos|prima`), only the ERP's sandbox differs.

Each ERP gets its own worker on its own task queue beside the session's NetSuite worker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from adapters.erp.prima import write_mapping
from adapters.sandbox.catalog import demo_catalog, with_copies
from adapters.sandbox.erp_control import ErpSandboxControl
from adapters.sandbox.prima import matrix
from adapters.sandbox.server import ServedApp
from tests.harness import COPIES, Live, LoopDriver, live_worker, start_return
from workers import ops
from workers.dev_erps import erp_settings, serve_erp

DAMAGED = "Arrived damaged"
# how each ERP routed the damaged unit: Khaos by the configured return reason's processing
# type, Prima by the reason the mapping file gives Loop's reason (its depot)
ROUTING = {
    "khaos": ("reason", "processing_type", ("QUAR", "Quarantine")),
    "prima": ("ReasonCode", "Depot", ("FAULTY", "QUARANTINE")),
}
# document types each ERP keeps for one refunded, restocked return
EXPECTED = {
    "khaos": {"Return": 1, "ReturnReceipt": 1, "StockAdjustment": 1, "CreditNote": 1, "Refund": 1},
    "prima": {
        "SalesReturn": 1,
        "GoodsReceipt": 1,
        "StockTransfer": 1,
        "SalesCredit": 1,
        "CreditPayment": 1,
    },
}


@pytest.fixture(params=["khaos", "prima"])
async def on_erp(
    request: pytest.FixtureRequest,
    dev_env: WorkflowEnvironment,
    sandboxes: tuple[ServedApp, ServedApp],
    store_url: str,
    tmp_path: Path,
) -> AsyncIterator[tuple[str, Live, str]]:
    erp: str = request.param
    catalog = with_copies(demo_catalog(), COPIES)  # the same world as the session's Loop
    served = serve_erp(erp, catalog)
    try:
        loop, ns = sandboxes
        overrides = erp_settings(erp, served.url, catalog, tmp_path)
        if erp == "prima":  # the mapping file sends damaged goods to quarantine
            mapping = tmp_path / "mappings.toml"
            write_mapping(mapping, {sku: matrix(sku) for sku in catalog.items}, {DAMAGED: "FAULTY"})
            overrides["prima_mapping_file"] = str(mapping)
        async with live_worker(
            dev_env.client, loop.url, ns.url, store_url, task_queue=f"returnflow-{erp}", **overrides
        ) as live:
            yield erp, live, served.url
    finally:
        served.stop()


async def test_a_refund_return_closes_with_each_erp_document_once(
    on_erp: tuple[str, Live, str], loop_driver: LoopDriver
) -> None:
    erp, live, erp_url = on_erp
    loop_return = await loop_driver.create(
        "#1001", skus=["TEE-BLK-M"], outcome="refund", reason=DAMAGED
    )
    rid = loop_return["id"]
    await start_return(live.client, live.settings, loop_return)
    await ops.wait_for_state(live.client, rid, {"authorized"}, timeout=30)
    await ops.receive(live.client, rid, "dock@warehouse.example")
    await ops.inspect(live.client, rid, "qa@warehouse.example")
    status = await ops.wait_for_state(live.client, rid, {"closed", "awaiting_approval"}, timeout=30)
    if status.state == "awaiting_approval":
        await ops.approve(live.client, rid, "controller@finance.example", "checked")
        status = await ops.wait_for_state(live.client, rid, {"closed"}, timeout=30)

    assert status.state == "closed" and not status.open_exceptions
    assert status.erp_refund_amount is not None
    assert status.erp_refund_amount.amount == Decimal("30.00")  # 25.00 + 20% VAT, the ERP's sum
    async with ErpSandboxControl(erp_url) as control:
        docs = await control.documents()
    mine = [d for d in docs if str(d.get("ref") or "").startswith(f"loop-{rid}-")]
    counts: dict[str, int] = {}
    for doc in mine:
        counts[doc["type"]] = counts.get(doc["type"], 0) + 1
    assert counts == EXPECTED[erp]
    [ra] = [d for d in mine if d["type"] in ("Return", "SalesReturn")]
    reason_field, routed_field, expected = ROUTING[erp]
    assert [(x[reason_field], x[routed_field]) for x in ra["lines"]] == [expected]
