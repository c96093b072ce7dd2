"""Record the saved histories that CI replays: `python -m tests.record_histories`.

Run it when a new path is worth pinning; never to "fix" a failing replay (that failure is the
point: running returns would break the same way).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from adapters.erp.netsuite.wire import RECORD_PATH
from adapters.sandbox.catalog import demo_catalog, with_copies
from adapters.sandbox.loop import create_loop_sandbox
from adapters.sandbox.netsuite import NetSuiteSandboxControl, create_netsuite_sandbox
from adapters.sandbox.server import ServedApp
from tests.harness import (
    BIN,
    COPIES,
    LOOP_KEY,
    NS,
    WEBHOOK_SECRET,
    LoopDriver,
    created_event,
    live_worker,
    start_return,
)
from workers import ops
from workers.ingress import deliver
from workflows import search
from workflows.model import ResolveExceptionInput

OUT = Path(__file__).parent / "histories"


async def main() -> None:
    catalog = with_copies(demo_catalog(), COPIES)
    loop_app = create_loop_sandbox(catalog, LOOP_KEY, WEBHOOK_SECRET)
    with (
        ServedApp(loop_app) as loop,
        ServedApp(create_netsuite_sandbox(catalog, **NS)) as ns,
        tempfile.TemporaryDirectory() as tmp,
    ):
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(BIN / "temporal"),
            data_converter=pydantic_data_converter,
            search_attributes=search.ALL,
        )
        async with env:
            store_url = f"sqlite:///{tmp}/s.db"
            async with live_worker(env.client, loop.url, ns.url, store_url) as live:
                settings = live.settings
                driver = LoopDriver(loop.url)
                client = env.client

                async def happy() -> str:
                    r = await driver.create("#1001", skus=["TEE-BLK-M"], return_id="h-happy")
                    await start_return(client, settings, r)
                    await ops.wait_for_state(client, r["id"], {"authorized"})
                    await ops.receive(client, r["id"], "dock@example.com")
                    await ops.inspect(client, r["id"], "qa@example.com")
                    await ops.wait_for_state(client, r["id"], {"closed"})
                    return r["id"]

                async def manual_approval() -> str:
                    r = await driver.create("#1002", return_id="h-manual")
                    await start_return(client, settings, r)
                    await ops.wait_for_state(client, r["id"], {"authorized"})
                    await ops.receive(client, r["id"], "dock@example.com")
                    await ops.inspect(client, r["id"], "qa@example.com")
                    await ops.wait_for_state(client, r["id"], {"awaiting_approval"})
                    await ops.approve(client, r["id"], "controller@example.com", "ok")
                    await ops.wait_for_state(client, r["id"], {"closed"})
                    return r["id"]

                async def sku_exception() -> str:
                    r = await driver.create(
                        "#1006",
                        skus=[],
                        return_id="h-sku",
                        extra_lines=[{"sku": "TEE-BLK-LARGE", "price": "25.00", "tax": "5.00"}],
                    )
                    await start_return(client, settings, r)
                    status = await ops.wait_for_state(client, r["id"], set(), blocked_ok=True)
                    case = status.open_exceptions[0]
                    await ops.resolve(
                        client,
                        r["id"],
                        ResolveExceptionInput(
                            exception_id=case.id,
                            actor="ops@example.com",
                            action="use_erp_item",
                            erp_item_id="502",
                        ),
                    )
                    await ops.wait_for_state(client, r["id"], {"authorized"})
                    await ops.cancel(client, r["id"], "ops@example.com", "customer changed mind")
                    await ops.wait_for_state(client, r["id"], {"cancelled"})
                    return r["id"]

                async def full(rid: str, order: str, **spec: Any) -> str:
                    r = await driver.create(order, return_id=rid, **spec)
                    await start_return(client, settings, r)
                    await ops.wait_for_state(client, r["id"], {"authorized"})
                    await ops.receive(client, r["id"], "dock@example.com")
                    await ops.inspect(client, r["id"], "qa@example.com")
                    await ops.wait_for_state(client, r["id"], {"closed"})
                    return str(r["id"])

                async def happy_v2() -> str:  # dispositions, erp-first close, customer history
                    return await full("h-happy-v2", "#1001", skus=["TEE-BLK-M"])

                async def store_credit() -> str:
                    return await full(
                        "h-credit", "#1001", skus=["TEE-BLK-M"], outcome="store_credit"
                    )

                async def exchange() -> str:
                    return await full("h-exchange", "#1001", skus=["TEE-BLK-M"], outcome="exchange")

                async def refund_cancelled() -> str:
                    r = await driver.create(
                        "#1001", skus=["TEE-BLK-M"], return_id="h-refund-cancel", refund_skew="5"
                    )
                    await start_return(client, settings, r)
                    await ops.wait_for_state(client, r["id"], {"authorized"})
                    await ops.receive(client, r["id"], "dock@example.com")
                    await ops.inspect(client, r["id"], "qa@example.com")
                    blocked = await ops.wait_for_state(client, r["id"], set(), blocked_ok=True)
                    credit = blocked.erp_documents["credit_memo"]
                    path = f"{RECORD_PATH}/creditMemo/{credit.id}/!transform/customerRefund"
                    async with NetSuiteSandboxControl(ns.url) as control:
                        await control.faults(fail_next=[400], paths=[path])
                        await resolve(r["id"], blocked.open_exceptions[0].id, "accept_erp_amount")
                        failed = await ops.wait_for_state(client, r["id"], set(), blocked_ok=True)
                        while not failed.blocked or failed.state != "credited":
                            await asyncio.sleep(0.1)
                            failed = await ops.status(client, r["id"])
                        await control.faults()
                    await resolve(r["id"], failed.open_exceptions[0].id, "cancel_refund")
                    await ops.wait_for_state(client, r["id"], {"closed"})
                    return str(r["id"])

                async def loop_review_v3() -> str:  # release-3: Loop's review ticks NetSuite's
                    r = await driver.create("#1001", skus=["TEE-BLK-M"], return_id="h-review-v3")
                    await start_return(client, settings, r)
                    await ops.wait_for_state(client, r["id"], {"authorized"})
                    for state in ("review", "open"):
                        changed = await driver.set_state(r["id"], state)
                        event = created_event(changed, trigger="return.updated")
                        await deliver(client, settings, event)
                        if state == "review":
                            held = await ops.wait_for_state(client, r["id"], set(), blocked_ok=True)
                    await resolve(r["id"], held.open_exceptions[0].id, "proceed")
                    await ops.receive(client, r["id"], "dock@example.com")
                    await ops.inspect(client, r["id"], "qa@example.com")
                    await ops.wait_for_state(client, r["id"], {"closed"})
                    return str(r["id"])

                async def resolve(rid: str, case_id: str, action: str) -> None:
                    await ops.resolve(
                        client,
                        rid,
                        ResolveExceptionInput(
                            exception_id=case_id, actor="finance@example.com", action=action
                        ),
                    )

                OUT.mkdir(exist_ok=True)
                scenarios = (
                    ("happy_path", happy, "return"),
                    ("manual_approval", manual_approval, "return"),
                    ("sku_exception_then_cancel", sku_exception, "return"),
                    ("happy_path_v2", happy_v2, "return"),
                    ("store_credit", store_credit, "return"),
                    ("exchange", exchange, "return"),
                    ("refund_cancelled", refund_cancelled, "return"),
                    ("loop_review_v3", loop_review_v3, "return"),
                )
                for name, scenario, _ in scenarios:
                    if (OUT / f"{name}.json").exists():  # a pin of code that ran: never redone
                        print(f"kept {name}")
                        continue
                    rid = await scenario()
                    await save(client, name, f"return-{rid}")
                    if name == "exchange":
                        await save(client, "exchange_child", f"exchange-{rid}")
                await driver.aclose()


async def save(client: Any, name: str, workflow_id: str) -> None:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    (OUT / f"{name}.json").write_text(json.dumps(json.loads(history.to_json()), indent=1))
    print(f"recorded {name}: {len(history.events)} events")


if __name__ == "__main__":
    asyncio.run(main())
