"""Reconciliation on the live stack: every mismatch kind made the way it happens in production
(lost ERP writes, manual refunds in Loop, manual RAs in the ERP), found, opened, reported."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from rich.console import Console
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from adapters.erp.protocol import external_id
from adapters.store.reconcile import ReconciliationLedger
from tests.harness import fresh_order
from tests.kpi.html_figures import Figures
from tests.reconcile.stack import Stack, issue7_stack
from workers import ops
from workers.cli import app
from workers.reports.recon_views import ReconReport, render_html, render_terminal
from workflows.exceptions import ExceptionKind, ExceptionStatus
from workflows.model import ErpLineRequest, OrderRef, ReturnAuthorizationRequest
from workflows.reconcile import ReconcileRequest, ReconcileSummary, ReconciliationWorkflow

WAREHOUSE = "warehouse@test"


@pytest.fixture(scope="module")
async def stack(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    async with issue7_stack(
        dev_env.client, tmp_path_factory.mktemp("recon"), "issue7-recon"
    ) as stack:
        await stack.driver.webhook_target(stack.ingress_url)
        yield stack


async def authorized(stack: Stack, **spec: Any) -> str:
    loop_return = await stack.driver.create("#1001", skus=["TEE-BLK-M"], wait=True, **spec)
    await ops.wait_for_state(stack.live.client, loop_return["id"], {"authorized"})
    return str(loop_return["id"])


async def unknown_order(stack: Stack, order_name: str) -> str:
    """A return on an order the ERP never got (a guest checkout on another channel)."""
    loop_return = await stack.driver.create(
        order_name, skus=["TEE-BLK-M"], unknown_order=True, wait=True
    )
    await ops.wait_for_state(stack.live.client, loop_return["id"], set(), blocked_ok=True)
    return str(loop_return["id"])


async def manual_ra(stack: Stack, return_id: str) -> str:
    """Someone keys an RA into the ERP by hand, for a return Loop never had."""
    order = await stack.erp.find_sales_order(OrderRef(order_name=fresh_order("#1001")))
    line = order.lines[0]
    doc = await stack.erp.create_return_authorization(
        ReturnAuthorizationRequest(
            external_id=external_id(return_id, "ra"),
            return_id=return_id,
            order_id=order.id,
            lines=[ErpLineRequest(order_line=line.line, item_id=line.item_id, quantity=1)],
        )
    )
    return doc.id


async def test_reconciliation_finds_every_mismatch(stack: Stack, dev_env: WorkflowEnvironment):
    live, client = stack.live, stack.live.client
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)

    clean = await authorized(stack)
    await ops.receive(client, clean, WAREHOUSE)
    await ops.inspect(client, clean, WAREHOUSE)
    await ops.wait_for_state(client, clean, {"closed"})
    skewed = await authorized(stack, refund_skew="5.00")  # Loop says 5.00 more than the ERP
    await ops.receive(client, skewed, WAREHOUSE)
    await ops.inspect(client, skewed, WAREHOUSE)
    await ops.wait_for_state(client, skewed, set(), blocked_ok=True)
    orphan = await unknown_order(stack, "#7301")  # the ERP has no order: no RA
    refunded_by_hand = await unknown_order(stack, "#7302")
    assert await stack.loop.process_return(refunded_by_hand)  # an admin refunds it in Loop
    foreign_ra = await manual_ra(stack, "555000")
    received = await authorized(stack)
    await ops.receive(client, received, WAREHOUSE)
    await ops.wait_for_state(client, received, {"received"})
    restocked = await authorized(stack)
    await stack.driver.restock(restocked, wait=True)  # Loop restocks what nobody inspected
    await asyncio.sleep(1.1)  # the ERP stamps whole seconds: keep the period's end clear of them
    end = datetime.now(UTC).replace(microsecond=0)

    request = ReconcileRequest(
        start=start, end=end, window=(end - start) / 4, grace=timedelta(0), windows_per_run=2
    )
    handle = await client.start_workflow(
        ReconciliationWorkflow.run,
        request,
        id=f"recon-test-{start:%H%M%S}",
        task_queue=live.settings.task_queue,
    )
    summary: ReconcileSummary = await handle.result()
    described = await handle.describe()
    assert described.run_id != handle.first_execution_run_id  # continued as new on the way
    progress = await handle.query(ReconciliationWorkflow.get_progress)
    assert (progress.done, progress.total, progress.finished) == (4, 4, True)

    ledger = ReconciliationLedger(live.store)
    findings = {(f.kind, f.return_id) for f in ledger.findings(summary.run_id)}
    assert findings == {
        ("amount_mismatch", skewed),
        ("orphaned_return", orphan),
        ("orphaned_return", refunded_by_hand),
        ("refund_without_credit", refunded_by_hand),
        ("erp_document_without_return", "555000"),
        ("received_but_open_in_loop", received),
        ("received_but_open_in_loop", skewed),  # received, held for finance, open in Loop
        ("restock_without_inspection", restocked),
    }
    assert (summary.loop_count, summary.erp_count, summary.count_delta) == (6, 5, 1)

    skewed_status = await ops.status(client, skewed)
    assert skewed_status.erp_refund_amount is not None
    loop_returns = (await stack.driver.records())["returns"]
    by_hand = sum(Decimal(r["amount"]) for r in loop_returns[refunded_by_hand]["refunds"])
    assert by_hand > 0
    assert skewed_status.loop_refund_amount is not None
    skew = skewed_status.loop_refund_amount.amount - skewed_status.erp_refund_amount.amount
    assert skew == Decimal("5.00")
    assert summary.amount_delta == skew + by_hand  # the clean return nets to zero

    opened = {
        (c.kind.value, c.return_id)
        for c in live.store.list_exceptions(status=ExceptionStatus.OPEN)
        if c.gate == "reconciliation"
    }
    assert opened == findings - {("amount_mismatch", skewed)}  # the workflow's own case stands
    own = live.store.list_exceptions(kind=ExceptionKind.AMOUNT_MISMATCH, return_id=skewed)
    assert [c.gate for c in own] != ["reconciliation"] and len(own) == 1
    foreign = next(f for f in ledger.findings(summary.run_id) if f.return_id == "555000")
    assert foreign.erp_document_id == foreign_ra

    run = ledger.run(summary.run_id)
    assert run is not None and run.finished_at is not None
    report = ReconReport.of(run, list(ledger.findings(summary.run_id)))
    page = Figures(render_html(report))
    assert page.chart("Findings by kind") == sorted(
        (kind, str(n)) for kind, n in summary.finding_counts.items()
    )
    assert page.texts["count-delta"] == "1"
    console = Console(record=True, width=160)
    render_terminal(report, console)
    assert "returns / return authorizations" in console.export_text()

    # the same period again through the CLI: idempotent, same findings, no new exceptions
    env = {
        "RETURNFLOW_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "RETURNFLOW_TASK_QUEUE": live.settings.task_queue,
        "RETURNFLOW_STORE_URL": live.settings.store_url,
        "RETURNFLOW_RECONCILE_GRACE": "PT0S",
    }
    args = ["reconcile", "--from", start.isoformat(), "--to", end.isoformat(), "--json"]
    result = await asyncio.to_thread(CliRunner().invoke, app, args, env=env)
    assert result.exit_code == 0, result.output
    again = json.loads(result.output)
    assert again["run"]["finding_counts"] == summary.finding_counts
    assert {(f["kind"], f["return_id"]) for f in again["findings"]} == findings
    recon_cases = [c for c in live.store.list_exceptions(status=None) if c.gate == "reconciliation"]
    assert len(recon_cases) == len(opened)
