"""One return from a signed Loop webhook to a posted NetSuite credit and refund.

Its own Loop sandbox (webhooks aimed at its own ingress) and its own task queue keep it apart
from the tests that start workflows directly; the NetSuite sandbox is the session's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from adapters.sandbox.catalog import demo_catalog, with_copies
from adapters.sandbox.loop import create_loop_sandbox
from adapters.sandbox.server import ServedApp
from tests.harness import (
    COPIES,
    LOOP_KEY,
    WEBHOOK_SECRET,
    Live,
    LoopDriver,
    running_worker,
    settings_for,
)
from workers import ops
from workers.ingress import create_ingress


@pytest.fixture(scope="module")
async def e2e(
    dev_env: WorkflowEnvironment, sandboxes: tuple[ServedApp, ServedApp], store_url: str
) -> AsyncIterator[tuple[Live, str]]:
    loop_app = create_loop_sandbox(
        with_copies(demo_catalog(), COPIES),
        LOOP_KEY,
        WEBHOOK_SECRET,
        retry_delays=(0.01, 0.01, 0.01),
        delivery_timeout=5.0,
    )
    with ServedApp(loop_app, name="loop-e2e") as loop:
        ns = sandboxes[1]
        settings = settings_for(loop.url, ns.url, store_url, task_queue="returnflow-e2e")
        async with running_worker(dev_env.client, settings) as adapters:
            with ServedApp(create_ingress(settings, dev_env.client, adapters.store)) as ingress:
                async with httpx.AsyncClient() as http:
                    target = await http.post(
                        f"{loop.url}/_sandbox/webhook-target",
                        json={"url": f"{ingress.url}/webhooks/loop"},
                    )
                    target.raise_for_status()
                yield Live(dev_env.client, settings, adapters.store, loop.url, ns.url), ingress.url


async def records(url: str) -> dict:
    async with httpx.AsyncClient() as http:
        return (await http.get(f"{url}/_sandbox/records")).json()


def erp_docs_for(ns_records: dict, return_id: str) -> dict[str, list[dict]]:
    prefix = f"loop-{return_id}-".lower()
    found: dict[str, list[dict]] = {}
    for kind, rows in ns_records["records"].items():
        for row in rows:
            if str(row.get("externalId", "")).lower().startswith(prefix):
                found.setdefault(kind, []).append(row)
    return found


async def test_signed_webhook_to_posted_credit_and_refund(e2e: tuple[Live, str]) -> None:
    live, _ = e2e
    driver = LoopDriver(live.loop_url)
    try:
        loop_return = await driver.create("#1003", outcome="refund")  # sneaker + discounted tee
        rid = loop_return["id"]
        await ops.wait_for_state(live.client, rid, {"authorized"}, timeout=30)
        await ops.receive(live.client, rid, "dock@warehouse.example")
        await ops.inspect(live.client, rid, "qa@warehouse.example")
        status = await ops.wait_for_state(live.client, rid, {"awaiting_approval", "closed"})
        if status.state == "awaiting_approval":
            await ops.approve(live.client, rid, "controller@finance.example", "checked")
        status = await ops.wait_for_state(live.client, rid, {"closed"})
    finally:
        await driver.aclose()

    docs = erp_docs_for(await records(live.netsuite_url), rid)
    assert {k: len(v) for k, v in docs.items()} == {
        "returnAuthorization": 1,
        "itemReceipt": 1,
        "creditMemo": 1,
        "customerRefund": 1,
    }
    credit = docs["creditMemo"][0]
    loop_refund = Decimal(loop_return["refund"])
    assert Decimal(str(credit["total"])).quantize(Decimal("0.01")) == loop_refund
    assert status.erp_refund_amount is not None and status.erp_refund_amount.amount == loop_refund
    assert Decimal(str(docs["customerRefund"][0]["total"])).quantize(Decimal("0.01")) == loop_refund

    loop_side = await records(live.loop_url)
    returns = (
        {str(r["id"]): r for r in loop_side["returns"]}
        if isinstance(loop_side["returns"], list)
        else loop_side["returns"]
    )
    assert returns[rid]["state"] == "closed"
    processed = [
        a
        for a in loop_side["actions"]
        if str(a.get("return_id")) == rid and a.get("action") == "process"
    ]
    assert len(processed) == 1

    trail = live.store.audit_trail(rid)
    assert [t.to_state for t in trail if t.from_state != t.to_state][-1] == "closed"
    assert {"dock@warehouse.example", "qa@warehouse.example"} <= {t.actor for t in trail}
