"""The scorecard as a rich table, JSON and one HTML page, all from the same Scorecard."""

from __future__ import annotations

from html import escape

from rich.console import Console
from rich.table import Table

from adapters.store.kpi import GroupFigures
from workers.reports.scorecard import SPECS, KpiLine, Rag, Scorecard
from workers.reports.svg import bar_chart, line_chart

RICH_STYLE = {Rag.GREEN: "green", Rag.AMBER: "yellow", Rag.RED: "red", Rag.NONE: "dim"}
HTML_COLOUR = {Rag.GREEN: "#16a34a", Rag.AMBER: "#d97706", Rag.RED: "#dc2626", Rag.NONE: "#9ca3af"}
TRENDED = ("cycle_p90_days", "refund_p90_hours", "exception_rate_pct", "auto_approval_pct")


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def trend(line: KpiLine) -> str:
    if line.value is None or line.previous is None or line.value == line.previous:
        return "→"
    return "↑" if line.value > line.previous else "↓"


def render_terminal(card: Scorecard, console: Console) -> None:
    for group in card.cards:
        table = Table(title=f"KPI scorecard {card.week} — {group.group} (vs {card.previous_week})")
        for column in ("KPI", "this week", "last week", "trend", "target", "status"):
            table.add_column(column, justify="left" if column == "KPI" else "right")
        for line in group.lines:
            style = RICH_STYLE[line.status]
            table.add_row(
                f"{line.label} ({line.unit})",
                f"[{style}]{fmt(line.value)}[/{style}]",
                fmt(line.previous),
                trend(line),
                fmt(line.target),
                f"[{style}]{line.status.value}[/{style}]",
            )
        console.print(table)
    console.print(f"returns webhooks missed (found by the sweep): {card.current.webhook_missed}")


def to_json(card: Scorecard) -> str:
    return card.model_dump_json(indent=2)


def _kpi_table(card: Scorecard) -> str:
    rows = []
    for group in card.cards:
        for line in group.lines:
            colour = HTML_COLOUR[line.status]
            rows.append(
                f'<tr class="kpi" data-group="{escape(group.group)}" data-kpi="{line.key}" '
                f'data-value="{fmt(line.value)}" data-status="{line.status.value}">'
                f"<td>{escape(group.group)}</td><td>{escape(line.label)} ({line.unit})</td>"
                f"<td>{fmt(line.value)}</td><td>{fmt(line.previous)}</td><td>{trend(line)}</td>"
                f"<td>{fmt(line.target)}</td>"
                f'<td><span class="rag" style="background:{colour}">{line.status.value}</span>'
                "</td></tr>"
            )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("group", "KPI", "this week", "last week", "trend", "target", "status")
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _history(card: Scorecard, key: str) -> tuple[str, list[float | None]]:
    spec = next(s for s in SPECS if s.key == key)
    values = [spec.value(week.groups.get("all", GroupFigures()), week) for week in card.history]
    return f"{spec.label} ({spec.unit})", values


def render_html(card: Scorecard) -> str:
    labels = [week.week for week in card.history]
    trends = ""
    for key in TRENDED:
        title, values = _history(card, key)
        trends += line_chart(title, labels, values)
    ageing = bar_chart(
        "Backlog ageing (open returns by age)",
        list((label, float(n)) for label, n in card.current.backlog_ageing.items()),
    )
    mix: dict[str, int] = {}
    for group in card.current.groups.values():
        for kind, n in group.exception_kinds.items():
            mix[kind] = mix.get(kind, 0) + n
    exceptions = bar_chart(
        "Exception mix (returns per kind)",
        sorted((k, float(n)) for k, n in mix.items()),
        colour="#7c3aed",
    )
    grouping = f" by {card.by}" if card.by else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Returns KPI scorecard {card.week}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #111; }}
table {{ border-collapse: collapse; margin-bottom: 1.5rem; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: right; }}
td:nth-child(-n+2), th:nth-child(-n+2) {{ text-align: left; }}
.rag {{ color: white; padding: 1px 8px; border-radius: 8px; }}
.charts {{ display: flex; flex-wrap: wrap; gap: 1rem; }}
figure {{ margin: 0; }} figcaption {{ font-weight: 600; }}
</style></head>
<body>
<h1>Returns KPI scorecard {card.week}{grouping}</h1>
<p id="period" data-start="{card.current.start.isoformat()}"
 data-end="{card.current.end.isoformat()}">
Week {card.week} against {card.previous_week}. Refund SLA {card.refund_sla_hours:g} h;
aged backlog means open longer than {card.backlog_age_days:g} days.
Returns the catch-up sweep found that webhooks had missed:
<strong id="webhook-missed">{card.current.webhook_missed}</strong>.</p>
{_kpi_table(card)}
<h2>Trends</h2><div class="charts">{trends}</div>
<h2>Backlog and exceptions</h2><div class="charts">{ageing}{exceptions}</div>
</body></html>
"""
