"""The reconciliation report: a rich table, JSON and an HTML page from one stored run."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from adapters.store.tables import ReconciliationFindingRow, ReconciliationRunRow
from workers.reports.svg import bar_chart

FINDINGS_SHOWN = 200  # the page lists this many findings; the counts cover all of them


class ReconReport(BaseModel):
    run: dict[str, Any]
    findings: list[dict[str, Any]]

    @classmethod
    def of(cls, run: ReconciliationRunRow, findings: list[ReconciliationFindingRow]) -> ReconReport:
        return cls(
            run=run.model_dump(mode="json"),
            findings=[f.model_dump(mode="json") for f in findings[:FINDINGS_SHOWN]],
        )


def to_json(report: ReconReport) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2, default=str)


def render_terminal(report: ReconReport, console: Console) -> None:
    run, totals = report.run, report.run["totals"]
    console.print(
        f"[bold]Reconciliation {run['id']}[/bold]  {run['period_start']} → {run['period_end']}"
    )
    summary = Table(title="Loop vs ERP")
    for column in ("measure", "Loop", "ERP", "delta"):
        summary.add_column(column, justify="left" if column == "measure" else "right")
    delta_style = "red" if run["count_delta"] else "green"
    summary.add_row(
        "returns / return authorizations",
        str(run["loop_count"]),
        str(run["erp_count"]),
        f"[{delta_style}]{run['count_delta']}[/{delta_style}]",
    )
    for money in totals.get("money", []):
        style = "red" if money["absolute_delta"] != "0.00" else "green"
        summary.add_row(
            f"Loop refund figure vs ERP credit ({money['currency']})",
            money["loop_amount"],
            money["erp_credited"],
            f"[{style}]{money['net_delta']} (|Σ| {money['absolute_delta']})[/{style}]",
        )
    console.print(summary)
    for source, columns in (
        ("loop", ("state", "storefront", "currency", "n", "amount", "refunded")),
        ("erp", ("kind", "storefront", "currency", "n", "amount")),
        ("store", ("state", "storefront", "currency", "n", "loop_amount", "erp_amount")),
    ):
        table = Table(title=f"{source}: counts and amounts")
        for column in columns:
            table.add_column(column)
        for row in totals.get(source, []):
            table.add_row(*(str(row.get(c, "")) for c in columns))
        console.print(table)
    findings = Table(title="findings (each opened as an exception)")
    for column in ("kind", "count"):
        findings.add_column(column)
    for kind, count in sorted(run["finding_counts"].items()):
        findings.add_row(kind, f"[red]{count}[/red]")
    console.print(findings)


def _rows(rows: list[dict[str, Any]], columns: tuple[str, ...], section: str) -> str:
    head = "".join(f"<th>{c}</th>" for c in columns)
    body = "".join(
        f'<tr class="{section}">'
        + "".join(f"<td>{escape(str(row.get(c, '')))}</td>" for c in columns)
        + "</tr>"
        for row in rows
    )
    return f'<table id="{section}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def render_html(report: ReconReport) -> str:
    run, totals = report.run, report.run["totals"]
    counts = sorted(run["finding_counts"].items())
    chart = bar_chart("Findings by kind", [(k, float(n)) for k, n in counts], colour="#dc2626")
    finding_rows = "".join(
        f'<tr class="finding" data-kind="{escape(f["kind"])}" '
        f'data-return="{escape(f["return_id"])}">'
        f"<td>{escape(f['kind'])}</td><td>{escape(f['return_id'])}</td>"
        f"<td>{escape(str(f.get('erp_document_id') or ''))}</td>"
        f"<td>{escape(str(f.get('loop_amount') or ''))}</td>"
        f"<td>{escape(str(f.get('erp_amount') or ''))}</td>"
        f"<td>{escape(str(f.get('exception_id') or ''))}</td></tr>"
        for f in report.findings
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Reconciliation {escape(run["id"])}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; }}
table {{ border-collapse: collapse; margin-bottom: 1.2rem; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 3px 9px; text-align: left; }}
</style></head><body>
<h1>Reconciliation {escape(run["period_start"])} → {escape(run["period_end"])}</h1>
<p>Loop returns <strong id="loop-count">{run["loop_count"]}</strong>,
ERP return authorizations <strong id="erp-count">{run["erp_count"]}</strong>,
count delta <strong id="count-delta">{run["count_delta"]}</strong>,
money delta (sum of per-return differences) <strong id="amount-delta">{
        run["amount_delta"]
    }</strong>.
</p>
<h2>Money per currency</h2>
{
        _rows(
            totals.get("money", []),
            ("currency", "loop_amount", "erp_credited", "net_delta", "absolute_delta"),
            "money",
        )
    }
<h2>Findings</h2>{chart}
<table id="findings"><thead><tr><th>kind</th><th>return</th><th>ERP document</th>
<th>Loop amount</th><th>ERP amount</th><th>exception</th></tr></thead>
<tbody>{finding_rows}</tbody></table>
<h2>Loop</h2>{
        _rows(
            totals.get("loop", []),
            ("state", "storefront", "currency", "n", "amount", "refunded"),
            "loop",
        )
    }
<h2>ERP</h2>{_rows(totals.get("erp", []), ("kind", "storefront", "currency", "n", "amount"), "erp")}
<h2>returnflow store</h2>{
        _rows(
            totals.get("store", []),
            ("state", "storefront", "currency", "n", "loop_amount", "erp_amount"),
            "store",
        )
    }
</body></html>
"""
