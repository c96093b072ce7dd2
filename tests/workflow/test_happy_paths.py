"""Full lifecycles on the dev server through real activities and the sandboxes."""

from __future__ import annotations

from decimal import Decimal

from tests.harness import LoopDriver, start_return
from tests.workflow.conftest import Live
from tests.workflow.support import erp_documents
from workers import ops


async def test_auto_approved_return_closes_with_one_of_each_erp_document(
    live: Live, loop_driver: LoopDriver
) -> None:
    loop_return = await loop_driver.create("#1001", skus=["TEE-BLK-M"], outcome="refund")
    rid = loop_return["id"]
    await start_return(live.client, live.settings, loop_return)
    await ops.wait_for_state(live.client, rid, {"authorized"})
    await ops.receive(live.client, rid, "warehouse@test")
    await ops.inspect(live.client, rid, "warehouse@test")
    status = await ops.wait_for_state(live.client, rid, {"closed"})
    assert status.decision is not None and status.decision.auto_approved
    assert status.decision.rule == "under_threshold"
    assert set(status.erp_documents) == {
        "return_authorization",
        "item_receipt",
        "disposition_restock",
        "credit_memo",
        "customer_refund",
    }
    assert status.erp_refund_amount is not None
    assert status.erp_refund_amount.amount == Decimal("30.00")  # 25.00 + 20% VAT, the ERP's sum
    mine = await erp_documents(live, rid)
    assert {k: len(v) for k, v in mine.items() if v} == {
        "returnAuthorization": 1,
        "itemReceipt": 1,
        "inventoryTransfer": 1,  # out of holding into sellable stock, after inspection
        "creditMemo": 1,
        "customerRefund": 1,
    }
