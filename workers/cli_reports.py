"""`returnflow kpi`, `returnflow reconcile`, `returnflow sweep`, `returnflow sweep-erp`.

Registered on the main app by importing this module from workers/cli.py.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.progress import Progress
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from adapters.store import Store
from adapters.store.kpi import KpiQueries, Week
from adapters.store.reconcile import ReconciliationLedger
from workers.cli import app, console, run
from workers.reports import kpi_views, recon_views
from workers.reports.scorecard import build_scorecard
from workers.settings import Settings
from workers.temporal import connect
from workflows.erp_sweep import ErpStatusSweepWorkflow, ErpSweepRequest, ErpSweepResult
from workflows.reconcile import Progress as ReconProgress
from workflows.reconcile import ReconcileRequest, ReconcileSummary, ReconciliationWorkflow
from workflows.sweep import CatchUpSweepWorkflow, SweepRequest, SweepResult

HtmlOut = Annotated[Path | None, typer.Option("--html", help="write the HTML page here")]
JsonOut = Annotated[bool, typer.Option("--json", help="print JSON instead of tables")]


def parse_moment(text: str) -> datetime:
    """'2026-11-16' (midnight UTC) or a full ISO timestamp; naive means UTC."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as err:
        raise typer.BadParameter(f"not a date or ISO timestamp: {text!r}") from err
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@app.command()
def kpi(
    week: Annotated[
        str | None, typer.Option(help="ISO week, e.g. 2026-W47 (default: last)")
    ] = None,
    by: Annotated[str | None, typer.Option(help="category or storefront")] = None,
    html: HtmlOut = None,
    as_json: JsonOut = False,
) -> None:
    """The weekly KPI scorecard against targets, with the week before for trend."""
    settings = Settings()
    try:
        chosen = Week.parse(week) if week else Week.containing(datetime.now(UTC)).previous()
    except ValueError as err:
        raise typer.BadParameter(str(err)) from err
    if by not in (None, "category", "storefront"):
        raise typer.BadParameter("--by is category or storefront")
    store = Store.from_url(settings.store_url)
    card = build_scorecard(
        KpiQueries(store.engine),
        chosen,
        by,
        backlog_age=settings.backlog_age,
        targets=settings.kpi_targets,
        category_targets=settings.kpi_category_targets,
    )
    _emit(html, kpi_views.render_html(card), as_json, kpi_views.to_json(card))
    if not as_json:
        kpi_views.render_terminal(card, console)


def _emit(html: Path | None, page: str, as_json: bool, data: str) -> None:
    """Write the HTML page when asked; print the JSON when asked (the caller prints tables)."""
    if html is not None:
        html.write_text(page, encoding="utf-8")
    if as_json:
        console.print_json(data)


async def _reconcile(client: Client, settings: Settings, request: ReconcileRequest) -> str:
    assert request.start is not None and request.end is not None
    workflow_id = f"reconcile-{request.start:%Y%m%dT%H%M%S}-{request.end:%Y%m%dT%H%M%S}"
    handle = await client.start_workflow(
        ReconciliationWorkflow.run,
        request,
        id=workflow_id,
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,  # attach to a running one
    )
    result = asyncio.ensure_future(handle.result())
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("reconciling windows", total=None)
        while not result.done():
            try:
                progress = await handle.query(ReconciliationWorkflow.get_progress)
                state = ReconProgress.model_validate(progress)
                bar.update(task, total=state.total or None, completed=state.done)
            except Exception:  # between runs (continue-as-new) a query may miss: try again
                pass
            await asyncio.wait([result], timeout=0.5)
    summary: ReconcileSummary = await result
    return summary.run_id


@app.command()
def reconcile(
    start: Annotated[str, typer.Option("--from", help="period start (date or ISO time, UTC)")],
    end: Annotated[str, typer.Option("--to", help="period end, exclusive")],
    html: HtmlOut = None,
    as_json: JsonOut = False,
) -> None:
    """Reconcile Loop, the ERP and returnflow for a period, now, and print the report."""
    settings = Settings()
    request = ReconcileRequest(
        start=parse_moment(start),
        end=parse_moment(end),
        window=settings.reconcile_window,
        grace=settings.reconcile_grace,
        amount_tolerance=settings.amount_tolerance,
    )

    async def go() -> str:
        return await _reconcile(await connect(settings), settings, request)

    run_id = run(go())
    ledger = ReconciliationLedger(Store.from_url(settings.store_url))
    stored = ledger.run(run_id)
    if stored is None:
        console.print(f"[red]no stored run {run_id}[/red]")
        raise typer.Exit(1)
    report = recon_views.ReconReport.of(
        stored, list(islice(ledger.findings(run_id), recon_views.FINDINGS_SHOWN))
    )
    _emit(html, recon_views.render_html(report), as_json, recon_views.to_json(report))
    if not as_json:
        recon_views.render_terminal(report, console)


def run_now(settings: Settings, workflow: Any, request: BaseModel, name: str) -> Any:
    """Run a scheduled workflow once, now, and wait for its result."""

    async def go() -> Any:
        client = await connect(settings)
        return await client.execute_workflow(
            workflow,
            request,
            id=f"{name}-manual-{datetime.now(UTC):%Y%m%dT%H%M%S}",
            task_queue=settings.task_queue,
            execution_timeout=timedelta(hours=1),
        )

    return run(go())


@app.command()
def sweep(as_json: JsonOut = False) -> None:
    """Run the catch-up sweep now (it also runs on its schedule)."""
    settings = Settings()
    request = SweepRequest(
        overlap=settings.sweep_overlap, first_lookback=settings.sweep_first_lookback
    )
    result: SweepResult = run_now(settings, CatchUpSweepWorkflow.run, request, "catch-up-sweep")
    if as_json:
        console.print_json(result.model_dump_json())
        return
    console.print(
        f"listed {result.listed} returns updated {result.since:%Y-%m-%d %H:%M} → "
        f"{result.until:%H:%M}; webhooks had missed {result.missed} "
        f"({result.signalled} handed to live workflows); "
        f"inactive webhook subscriptions: {', '.join(result.inactive_subscriptions) or 'none'}"
    )


@app.command("sweep-erp")
def sweep_erp(as_json: JsonOut = False) -> None:
    """Run the ERP status sweep now: RAs closed or flagged for review in the ERP's own
    screens reach their returns (it also runs on its schedule)."""
    settings = Settings()
    request = ErpSweepRequest(page=settings.erp_sweep_page)
    result: ErpSweepResult = run_now(
        settings, ErpStatusSweepWorkflow.run, request, "erp-status-sweep"
    )
    if as_json:
        console.print_json(result.model_dump_json())
        return
    console.print(
        f"{result.erp_system}: asked about {result.watched} returns in flight, "
        f"{result.read} have an RA there; closed there: {result.closed}, "
        f"flagged for review there: {result.review} "
        f"({result.finished_returns} of those had already ended here); "
        f"no RA in the ERP: {', '.join(result.without_ra) or 'none'}"
    )
