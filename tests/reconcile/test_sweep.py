"""The catch-up sweep on the dev server: lost webhooks found, handed over once, counted."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from adapters.store.kpi import KpiQueries, Week
from adapters.store.sweeps import SweepLedger
from tests.reconcile.stack import Stack, issue7_stack
from workers import ops
from workflows.exceptions import ExceptionKind
from workflows.sweep import CatchUpSweepWorkflow, SweepRequest, SweepResult

DEAD_URL = "http://127.0.0.1:9/webhooks/loop"  # nothing listens: every delivery fails
OVERLAP = timedelta(minutes=10)  # wide, so a slow machine still re-lists every return


@pytest.fixture(scope="module")
async def stack(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    tmp = tmp_path_factory.mktemp("sweep")
    async with issue7_stack(dev_env.client, tmp, "issue7-sweep") as stack:
        yield stack


async def past(stamp: str) -> None:
    """Wait until the clock passes a Loop stamp (Loop may stamp a change up to 1 s ahead);
    a sweep before that would leave it to the next sweep's overlap, as it should."""
    ahead = datetime.fromisoformat(stamp.replace("Z", "+00:00")) - datetime.now(UTC)
    await asyncio.sleep(max(ahead.total_seconds(), 0) + 0.05)


async def sweep(stack: Stack) -> SweepResult:
    result: SweepResult = await stack.live.client.execute_workflow(
        CatchUpSweepWorkflow.run,
        SweepRequest(overlap=OVERLAP, first_lookback=timedelta(hours=1)),
        id=f"sweep-test-{uuid.uuid4().hex[:8]}",
        task_queue=stack.live.settings.task_queue,
    )
    return result


async def test_lost_webhooks_are_found_once_and_counted(stack: Stack) -> None:
    live, driver = stack.live, stack.driver
    hooks = await driver.webhook_target(DEAD_URL)
    created_hook = next(h for h in hooks if h["trigger"] == "return.created")
    first = await driver.create("#1001", skus=["TEE-BLK-M"])
    second = await driver.create("#1002")
    await driver.flush()  # both return.created deliveries failed: the subscription is off

    found = await sweep(stack)
    assert (found.listed, found.missed, found.signalled) == (2, 2, 2)
    assert found.inactive_subscriptions == [str(created_hook["id"])]
    for loop_return in (first, second):  # the sweep started them, and they advance
        await ops.wait_for_state(live.client, loop_return["id"], {"authorized"}, timeout=20)
    cases = live.store.list_exceptions(kind=ExceptionKind.WEBHOOK_SUBSCRIPTION_INACTIVE)
    assert [(c.return_id, c.blocking) for c in cases] == [
        (f"loop-webhook-{created_hook['id']}", False)
    ]

    again = await sweep(stack)  # nothing changed in Loop: nothing handed over, nothing counted
    assert (again.listed, again.missed, again.signalled) == (2, 0, 0)
    assert again.since == found.until - OVERLAP  # from the high-water mark, a little before
    assert len(live.store.list_exceptions(kind=ExceptionKind.WEBHOOK_SUBSCRIPTION_INACTIVE)) == 1

    labelled = await driver.label(second["id"], "in_transit", tracking_number="TRK-LOST", wait=True)
    await past(labelled["updated_at"])
    changed = await sweep(stack)  # the label webhook was lost too: the sweep hands it over
    assert (changed.listed, changed.missed, changed.signalled) == (2, 1, 1)
    status = await ops.status(live.client, second["id"])
    assert status.events_seen == 2  # the first state and the label change, each once

    for hook in hooks:  # ops switch the subscriptions back on, pointing at the ingress
        await stack.loop.update_webhook(
            hook["id"], hook["topic"], hook["trigger"], stack.ingress_url, status="active"
        )
    third = await driver.create("#1003", wait=True)  # delivered: the webhook log has it
    delivered = await sweep(stack)
    assert (delivered.listed, delivered.missed, delivered.inactive_subscriptions) == (3, 0, [])
    assert live.store.list_webhooks(return_id=third["id"], accepted=True)

    runs = SweepLedger(live.store).runs()
    assert [r.missed for r in runs[:4]] == [0, 1, 0, 2]  # newest first
    assert runs[-1].inactive_subscriptions == 1 and runs[0].inactive_subscriptions == 0
    week = KpiQueries(live.store.engine).week(
        Week.containing(datetime.now(UTC)),
        None,
        refund_sla=timedelta(hours=48),
        backlog_age=timedelta(days=7),
    )
    assert week.webhook_missed == 3
