"""`returnflow …`: run the stack, and act on returns and exceptions from a terminal."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from adapters.store import Store
from workers import ops
from workers.process_exit import run_then_exit
from workers.settings import Settings
from workers.temporal import connect, register_search_attributes
from workflows.exceptions import ExceptionKind
from workflows.exchange import ExchangeChoice
from workflows.model import ErpEvent, ResolveExceptionInput

T = TypeVar("T")
app = typer.Typer(
    help="returnflow: returns between Loop and your ERP, one workflow each.", no_args_is_help=True
)
exceptions_app = typer.Typer(help="The exception queue: list, show, resolve.", no_args_is_help=True)
app.add_typer(exceptions_app, name="exceptions")
console = Console()

Actor = Annotated[str, typer.Option("--as", help="your identity, recorded in the audit trail")]


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def parse_age(text: str) -> timedelta:
    """'3d', '12h', '30m' → timedelta."""
    units = {"d": "days", "h": "hours", "m": "minutes"}
    if not text or text[-1] not in units or not text[:-1].isdigit():
        raise typer.BadParameter("use a number and d/h/m, e.g. 3d")
    return timedelta(**{units[text[-1]]: int(text[:-1])})


@app.command()
def dev(
    demo: Annotated[bool, typer.Option(help="push the demo returns through")] = True,
    port: int = 7233,
    ui_port: int = 8233,
    data_dir: Path = Path(".returnflow"),
    erp: Annotated[
        str, typer.Option(help="the ERP sandbox the worker posts to: netsuite, khaos or prima")
    ] = "netsuite",
) -> None:
    """Run the embedded stack (Temporal + UI, sandboxes, worker, ingress) until Ctrl-C."""
    from workers.dev_erps import ERPS
    from workers.dev_main import main as dev_main

    if erp not in ERPS:
        raise typer.BadParameter(f"--erp must be one of {', '.join(ERPS)}")
    dev_main(demo=demo, port=port, ui_port=ui_port, data_dir=data_dir, console=console, erp=erp)


@app.command()
def demo(
    loop_url: Annotated[str, typer.Option(help="the Loop sandbox of a running `returnflow dev`")],
) -> None:
    """Push the demo returns through a running dev stack and print their states."""
    from workers import demo as demo_returns

    async def go() -> None:
        client = await connect(Settings())
        await demo_returns.create_returns(loop_url)
        await demo_returns.drive(client, loop_url)
        demo_returns.render(await demo_returns.summary(client), console)

    run(go())


@app.command()
def worker() -> None:
    """Run the Temporal worker service (stops cleanly on SIGTERM)."""
    from workers.heap import freeze_startup_heap
    from workers.logs import configure_logging
    from workers.worker import run_worker

    configure_logging()
    settings = Settings()
    freeze_startup_heap()  # the modules are imported: most of what start-up builds
    run(run_worker(settings))


@app.command()
def ingress() -> None:
    """Run the webhook ingress (POST /webhooks/loop, GET /healthz)."""
    import uvicorn

    from workers.heap import freeze_startup_heap
    from workers.ingress import create_ingress
    from workers.logs import configure_logging
    from workers.telemetry import setup_tracing

    configure_logging()
    settings = Settings()
    setup_tracing(settings)  # before connect: the client picks up the tracing interceptor

    async def serve() -> None:
        # acking from the store needs no Temporal: start (and ack) while it is down
        client = await connect(settings, lazy=settings.ingress_ack == "store", service=True)
        store = Store.from_url(settings.store_url)
        store.create_all()
        config = uvicorn.Config(
            create_ingress(settings, client, store),
            host=settings.ingress_host,
            port=settings.ingress_port,
        )
        server = uvicorn.Server(config)
        freeze_startup_heap()
        await server.serve()

    run(serve())


@app.command()
def forwarder() -> None:
    """Hand store-acked webhooks to Temporal (RETURNFLOW_INGRESS_FORWARDER=separate)."""
    from workers.forwarder_service import run_forwarder
    from workers.heap import freeze_startup_heap
    from workers.logs import configure_logging
    from workers.telemetry import setup_tracing

    configure_logging()
    settings = Settings()
    setup_tracing(settings)
    freeze_startup_heap()
    run(run_forwarder(settings))


@app.command()
def setup() -> None:
    """Register search attributes; create or update the sweep and reconciliation schedules."""
    from workers.schedules import ensure_schedules

    settings = Settings()

    async def go() -> tuple[list[str], dict[str, str]]:
        client = await connect(settings)
        added = await register_search_attributes(client, settings.temporal_namespace)
        return added, await ensure_schedules(client, settings)

    added, schedules = run(go())
    console.print(f"search attributes added: {', '.join(added) or 'none (all present)'}")
    console.print(f"schedules: {', '.join(f'{k} {v}' for k, v in schedules.items())}")


def _print_json(obj: Any) -> None:
    console.print_json(json.dumps(obj, default=str))


@app.command()
def status(return_id: str) -> None:
    """Show one return: state, gates, ERP documents, breaches, open exceptions."""

    async def go() -> Any:
        return await ops.status(await connect(Settings()), return_id)

    _print_json(run(go()).model_dump(mode="json"))


@app.command()
def receive(return_id: str, actor: Actor, note: str | None = None) -> None:
    """Record that every unit of the return arrived at the warehouse."""
    _update(ops.receive, return_id, actor, note=note)


@app.command()
def inspect(
    return_id: str,
    actor: Actor,
    damaged: bool = False,
    disposition: Annotated[
        list[str] | None, typer.Option(help="LINE_ITEM_ID=restock|refurbish|scrap|return_to_vendor")
    ] = None,
    grade: Annotated[
        list[str] | None,
        typer.Option(help="LINE_ITEM_ID=GRADE: the mapping file's grade decides the disposition"),
    ] = None,
    note: str | None = None,
) -> None:
    """Record the inspection; lines not named are restocked."""
    lines = []
    for field, given in (("disposition", disposition), ("grade", grade)):
        for item in given or []:
            line_item_id, _, value = item.partition("=")
            lines.append({"line_item_id": line_item_id, field: value})
    _update(ops.inspect, return_id, actor, damaged=damaged, lines=lines or None, note=note)


@app.command()
def approve(return_id: str, actor: Actor, note: str | None = None) -> None:
    """Approve the refund (finance)."""
    _update(ops.approve, return_id, actor, note)


@app.command()
def reject(return_id: str, actor: Actor, reason: Annotated[str, typer.Option()]) -> None:
    """Reject the refund (finance)."""
    _update(ops.reject, return_id, actor, reason)


@app.command()
def cancel(return_id: str, actor: Actor, reason: Annotated[str, typer.Option()]) -> None:
    """Cancel a return that has not been refunded."""
    _update(ops.cancel, return_id, actor, reason)


ERP_EVENT_KINDS = ("ra_closed", "review", "review_cleared")


@app.command("erp-event")
def erp_event(
    return_id: str,
    kind: Annotated[str, typer.Argument(help="ra_closed | review | review_cleared")],
    actor: Actor,
    note: str | None = None,
) -> None:
    """Tell a return what the ERP did: its RA was closed (cancels it, and Loop), someone
    flagged it for review (holds it, and flags Loop once), or the flag was cleared there."""
    if kind not in ERP_EVENT_KINDS:
        raise typer.BadParameter(f"kind is one of {', '.join(ERP_EVENT_KINDS)}")
    event = ErpEvent(kind=kind, actor=actor, note=note)

    async def go() -> None:
        await ops.erp_event(await connect(Settings()), return_id, event)

    run(go())
    console.print(f"sent {kind} to return {return_id}")


def _update(fn: Any, return_id: str, *args: Any, **kwargs: Any) -> None:
    async def go() -> Any:
        return await fn(await connect(Settings()), return_id, *args, **kwargs)

    try:
        result = run(go())
    except Exception as err:  # validators answer with a reason: show it, exit non-zero
        reason = getattr(err.__cause__ or getattr(err, "cause", None), "message", None)
        console.print(f"[red]refused:[/red] {reason or getattr(err, 'message', None) or err}")
        raise typer.Exit(1) from err
    _print_json(result.model_dump(mode="json"))


def _store() -> Store:
    """The projection store, its tables created if this is a new database (a fresh install
    asked for its queue before any worker ran): an empty answer, not a SQL error."""
    store = Store.from_url(Settings().store_url)
    store.create_all()
    return store


@exceptions_app.command("list")
def exceptions_list(
    owner: str | None = None,
    kind: str | None = None,
    older_than: Annotated[str | None, typer.Option(help="e.g. 3d, 12h")] = None,
    status: str = "open",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The exception queue, oldest first."""
    store = _store()
    cases = store.list_exceptions(
        owner=owner,
        kind=kind,
        status=None if status == "any" else status,
        older_than=parse_age(older_than) if older_than else None,
        now=datetime.now(UTC),
    )
    if as_json:
        _print_json([c.model_dump(mode="json") for c in cases])
        return
    table = Table(title=f"exceptions ({status})")
    for col in ("id", "kind", "owner", "severity", "return", "gate", "opened", "due", "level"):
        table.add_column(col)
    for c in cases:
        table.add_row(
            c.id,
            c.kind.value,
            c.owner.value,
            c.severity.value,
            c.return_id,
            c.gate,
            f"{c.opened_at:%Y-%m-%d %H:%M}",
            f"{c.due_at:%Y-%m-%d %H:%M}",
            str(c.escalation_level),
        )
    console.print(table)


@exceptions_app.command("show")
def exceptions_show(exception_id: str) -> None:
    """One exception with its evidence and resolution."""
    case = _store().get_exception(exception_id)
    if case is None:
        console.print(f"[red]no exception {exception_id}[/red]")
        raise typer.Exit(1)
    _print_json(case.model_dump(mode="json"))


@exceptions_app.command("resolve")
def exceptions_resolve(
    exception_id: str,
    actor: Actor,
    action: Annotated[
        str,
        typer.Option(
            help="what the kind allows: use_erp_item, use_erp_order, retry, accept_erp_amount, "
            "proceed, close_as_duplicate, cancel_refund, mark_done, cancel_return; for "
            "exchange_blocked: wait, other_variant (with --erp-item-id), refund_instead, retry"
        ),
    ],
    erp_item_id: str | None = None,
    erp_order_id: str | None = None,
    save_mapping: bool = False,
    note: str | None = None,
) -> None:
    """Send the resolve_exception update to the exception's return."""
    case = _store().get_exception(exception_id)
    if case is None:
        console.print(f"[red]no exception {exception_id}[/red]")
        raise typer.Exit(1)
    if case.gate in ops.STORE_ONLY_GATES:  # found by reconciliation or the sweep: no workflow
        try:
            resolved = ops.resolve_in_store(_store(), case, actor, action, note)
        except ValueError as err:
            console.print(f"[red]refused:[/red] {err}")
            raise typer.Exit(1) from err
        _print_json(resolved.model_dump(mode="json"))
        return
    if case.kind is ExceptionKind.EXCHANGE_BLOCKED:  # the exchange child owns this one
        choice = ExchangeChoice(actor=actor, option=action, item_id=erp_item_id)
        _update(ops.choose_exchange_option, case.return_id, choice)
        return
    resolution = ResolveExceptionInput(
        exception_id=exception_id,
        actor=actor,
        action=action,
        erp_item_id=erp_item_id,
        erp_order_id=erp_order_id,
        save_mapping=save_mapping,
        note=note,
    )
    _update(ops.resolve, case.return_id, resolution)


@app.command()
def replay(
    workflow_id: Annotated[str | None, typer.Argument(help="e.g. return-1673")] = None,
    file: Annotated[Path | None, typer.Option(help="a history JSON exported from Temporal")] = None,
) -> None:
    """Replay a history against the current code; non-zero exit on nondeterminism."""
    from workers.replay import replay_file, replay_running

    if (workflow_id is None) == (file is None):
        raise typer.BadParameter("give a WORKFLOW_ID or --file, not both")

    async def go() -> Any:
        if file is not None:
            return await replay_file(file)
        assert workflow_id is not None
        return await replay_running(await connect(Settings()), workflow_id)

    result = run(go())
    if result.replay_failure is not None:
        from temporalio.workflow import NondeterminismError

        kind = (
            "NONDETERMINISM: the current code would make different commands than this history"
            if isinstance(result.replay_failure, NondeterminismError)
            else "replay failed"
        )
        console.print(f"[red]{kind}[/red]\n{result.replay_failure}", soft_wrap=True)
        raise typer.Exit(1)
    console.print("[green]replayed cleanly[/green] against the current workflow code")


# registers kpi, reconcile, sweep and sweep-erp; and timeline
from workers import cli_reports, cli_timeline  # noqa: E402, F401
from workers.check_mappings import check_mappings_command  # noqa: E402

app.command("check-mappings")(check_mappings_command)


def main() -> None:
    run_then_exit(app)
