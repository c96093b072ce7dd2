"""`returnflow timeline`: where one return's time went, from its history (workers/timeline.py).

Registered on the main app by importing this module from workers/cli.py.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from workers import ops
from workers.cli import _print_json, app, console, run
from workers.cli_reports import JsonOut
from workers.ingress import workflow_id
from workers.settings import Settings
from workers.temporal import connect
from workers.timeline import Timeline, closed_at, timeline
from workflows.exchange import exchange_workflow_id


def human(ms: float) -> str:
    """A duration as ops read it: 340 ms, 12.5 s, 4m 05s, 3h 20m, 2d 04h."""
    s = ms / 1000
    if s < 1:
        return f"{ms:.0f} ms"
    if s < 60:
        return f"{s:.1f} s"
    minutes, hours, days = int(s // 60), int(s // 3600), int(s // 86400)
    if hours < 1:
        return f"{minutes}m {int(s % 60):02d}s"
    if days < 1:
        return f"{hours}h {minutes % 60:02d}m"
    return f"{days}d {hours % 24:02d}h"


def _moment(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def as_dict(name: str, line: Timeline, now_in: str | None) -> dict[str, Any]:
    return {
        "workflow_id": name,
        "started": _moment(line.started),
        "closed": _moment(line.ended) if line.ended is not None else None,
        "open_in_state": now_in,
        "total_ms": round(line.total_ms, 1),
        "phases_ms": {p: round(ms, 1) for p, ms in line.phases.items()},
        "activities": [vars(a) for a in line.activities],
        "children": [
            {
                **vars(c),
                "started": _moment(c.started),
                "ended": _moment(c.ended) if c.ended is not None else None,
            }
            for c in line.children
        ],
    }


def show(name: str, line: Timeline, now_in: str | None) -> None:
    end = f"closed {_moment(line.ended)}" if line.ended is not None else "still open"
    if now_in is not None:
        end += f", now {now_in}"
    console.print(
        f"[bold]{name}[/bold]: {human(line.total_ms)} from its start ({_moment(line.started)}), "
        f"{end}"
    )
    phases = Table("where the time went", "time", "share")
    for phase, ms in line.phases.items():
        if ms < 1:  # in the JSON; a table of 0 ms rows hides the ones that matter
            continue
        phases.add_row(phase, human(ms), f"{ms / line.total_ms:.1%}" if line.total_ms else "")
    console.print(phases)
    acts = Table("activity", "attempts", "waited", "ran", "outcome", "last retry because")
    for a in line.activities:
        ran = human(a.running_ms) if a.running_ms is not None else ""
        acts.add_row(a.name, str(a.attempts), human(a.queued_ms), ran, a.outcome, a.last_failure)
    console.print(acts)
    for c in line.children:
        took = human(((c.ended if c.ended is not None else time.time()) - c.started) * 1000)
        console.print(f"child {c.workflow_id} ({c.workflow_type}): {c.outcome} after {took}")
    if line.children:
        console.print("where a child's own time went: returnflow timeline RETURN_ID --exchange")


@app.command("timeline")
def timeline_command(
    return_id: Annotated[str | None, typer.Argument(help="Loop's return id, e.g. 1673")] = None,
    file: Annotated[Path | None, typer.Option(help="a history JSON exported from Temporal")] = None,
    exchange: Annotated[
        bool, typer.Option("--exchange", help="the return's exchange child, not the return")
    ] = False,
    as_json: JsonOut = False,
) -> None:
    """Where one return's time went: gates, the ERP and its retries, waiting for workers."""
    if (return_id is None) == (file is None):
        raise typer.BadParameter("give a RETURN_ID or --file, not both")
    if exchange and file is not None:
        raise typer.BadParameter(
            "--exchange reads a return's child from Temporal; an exported "
            "child history is a --file of its own"
        )

    async def fetch() -> tuple[str, list[Any], str | None]:
        """The history, and for an open return fetched from Temporal the state it waits in."""
        if file is not None:
            from workers.replay import load_history

            history = load_history(file)
            return history.workflow_id, list(history.events), None
        assert return_id is not None
        client = await connect(Settings())
        wid = exchange_workflow_id(return_id) if exchange else workflow_id(return_id)
        history = await client.get_workflow_handle(wid).fetch_history()
        events = list(history.events)
        if not events or closed_at(events) is not None:
            return history.workflow_id, events, None
        if exchange:
            child = await ops.exchange_status(client, return_id)
            return history.workflow_id, events, child.state
        now = await ops.status(client, return_id)
        return history.workflow_id, events, now.state + (" (blocked)" if now.blocked else "")

    name, events, now_in = run(fetch())
    if not events:
        raise typer.BadParameter(f"{name} has no history")
    line = timeline(events, now=time.time())
    if as_json:
        _print_json(as_dict(name, line, now_in))
    else:
        show(name, line, now_in)
