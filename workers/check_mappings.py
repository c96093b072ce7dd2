"""`returnflow check-mappings`: the go-live data audit of the mapping file.

Reads recent Loop returns and the ERP's items and locations, and lists every value a return
would fail on (a SKU the ERP does not know, a reason, payment method or return node with no
mapping, a mapped location the ERP does not have, a bundle component or alias pointing at no
item). Blocking findings make the command exit non-zero; the JSON report is for the go-live file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Protocol, runtime_checkable

import typer
from pydantic import BaseModel, Field
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from activities.mapping import MasterData
from adapters.erp.protocol import ErpAdapter
from adapters.errors import UnknownItemError
from adapters.loop.client import LoopClient
from adapters.loop.payload import parse_return
from workers.mappings import MappingFileError, load_mappings


@runtime_checkable
class LocationDirectory(Protocol):
    """ERPs that can say which location ids exist (NetSuite can)."""

    async def find_locations(self, location_ids: list[str]) -> dict[str, str]: ...


class Finding(BaseModel):
    kind: str  # sku | reason | payment_method | return_node | location | bundle | alias | erp
    value: str
    problem: str
    blocking: bool = True
    seen_in: list[str] = Field(default_factory=list)  # Loop return ids (first few)
    count: int = 0  # how many returns carry it


class AuditReport(BaseModel):
    checked_at: datetime
    since: datetime
    until: datetime
    returns_checked: int
    skus_checked: int
    findings: list[Finding]

    @property
    def blocking(self) -> bool:
        return any(f.blocking for f in self.findings)


class _Seen:
    """Value -> the returns it was seen in."""

    def __init__(self) -> None:
        self.by_value: dict[tuple[str, str], list[str]] = {}

    def add(self, kind: str, value: str, return_id: str) -> None:
        ids = self.by_value.setdefault((kind, value), [])
        if return_id not in ids:
            ids.append(return_id)

    def values(self, kind: str) -> list[str]:
        return sorted(v for k, v in self.by_value if k == kind)

    def finding(self, kind: str, value: str, problem: str, blocking: bool = True) -> Finding:
        ids = self.by_value.get((kind, value), [])
        return Finding(
            kind=kind,
            value=value,
            problem=problem,
            blocking=blocking,
            seen_in=ids[:5],
            count=len(ids),
        )


def _observe(raw: dict[str, Any], master: MasterData, seen: _Seen) -> None:
    request = master.normalize(parse_return(raw))
    rid = request.return_id
    for line in request.lines:
        bundle = master.bundle(line.sku)
        for sku in [c.sku for c in bundle.components] if bundle else [line.sku]:
            seen.add("sku", sku, rid)
        if line.reason or line.parent_reason:
            if not any(r in master.reasons for r in (line.reason, line.parent_reason) if r):
                seen.add("reason", line.reason or line.parent_reason or "", rid)
    for refund in raw.get("refunds") or []:
        gateway = refund.get("gateway") if isinstance(refund, dict) else None
        if gateway:
            seen.add("payment_method", str(gateway), rid)
    destination = raw.get("destination_id")
    if destination not in (None, ""):
        seen.add("return_node", str(destination), rid)


async def _unknown_skus(erp: ErpAdapter, skus: Iterable[str], pinned: set[str]) -> set[str]:
    wanted = sorted(set(skus) - pinned)
    if not wanted:
        return set()
    try:
        await erp.resolve_items(wanted)
    except UnknownItemError as err:
        return set(err.skus)
    return set()


async def audit(
    loop: LoopClient,
    erp: ErpAdapter,
    master: MasterData,
    since: datetime,
    until: datetime,
) -> AuditReport:
    seen = _Seen()
    returns = 0
    async for raw in loop.list_returns(since, until):
        returns += 1
        _observe(raw, master, seen)
    findings: list[Finding] = []

    pinned = set(master.skus.items)
    mapping_skus = {
        *master.skus.aliases.values(),
        *(v.sku for v in master.skus.variants),
        *(c.sku for b in master.bundles for c in b.components),
    }
    unknown = await _unknown_skus(erp, {*seen.values("sku"), *mapping_skus}, pinned)
    findings += [
        seen.finding("sku", sku, f"no {erp.system} item with this SKU (map it in [skus])")
        for sku in seen.values("sku")
        if sku in unknown
    ]
    findings += [
        Finding(kind="alias", value=f"{src} -> {dst}", problem=f"{dst} is not a {erp.system} item")
        for src, dst in sorted(master.skus.aliases.items())
        if dst in unknown
    ]
    findings += [
        Finding(
            kind="bundle", value=f"{b.sku}/{c.sku}", problem=f"component {c.sku} is not an item"
        )
        for b in master.bundles
        for c in b.components
        if c.sku in unknown
    ]
    findings += [
        seen.finding("reason", reason, "no reason code in [reasons]")
        for reason in seen.values("reason")
    ]
    findings += [
        seen.finding("payment_method", gateway, "no ERP payment method in [payment_methods]")
        for gateway in seen.values("payment_method")
        if gateway not in master.payment_methods
    ]
    nodes = {n.id for n in master.return_nodes}
    findings += [
        seen.finding("return_node", node, "return destination not in [[return_nodes]]")
        for node in seen.values("return_node")
        if node not in nodes
    ]
    findings += await _location_findings(erp, master)
    return AuditReport(
        checked_at=datetime.now(UTC),
        since=since,
        until=until,
        returns_checked=returns,
        skus_checked=len({*seen.values("sku"), *mapping_skus}),
        findings=findings,
    )


async def _location_findings(erp: ErpAdapter, master: MasterData) -> list[Finding]:
    mapped = {f"locations.{k}": v for k, v in master.locations.items()}
    mapped |= {f"return_nodes.{n.id}": n.erp_location for n in master.return_nodes}
    if not mapped:
        return []
    if not isinstance(erp, LocationDirectory):
        return [
            Finding(
                kind="erp",
                value=erp.system,
                problem="this ERP adapter cannot list locations: check them by hand",
                blocking=False,
            )
        ]
    found = await erp.find_locations(sorted(set(mapped.values())))
    return [
        Finding(kind="location", value=f"{name} = {loc}", problem=f"no {erp.system} location {loc}")
        for name, loc in sorted(mapped.items())
        if loc not in found
    ]


def render(report: AuditReport, console: Console) -> None:
    table = Table(
        title=f"Mapping audit: {report.returns_checked} returns, "
        f"{report.skus_checked} SKUs, since {report.since:%Y-%m-%d %H:%M}"
    )
    for column in ("kind", "value", "problem", "returns", "blocks"):
        table.add_column(column)
    for f in report.findings:
        returns = f"{f.count}: {', '.join(f.seen_in)}" if f.count else ""
        cells = (f.kind, f.value, f.problem, returns, "yes" if f.blocking else "no")
        table.add_row(*(escape(c) for c in cells))  # values are data, never markup
    console.print(table if report.findings else "[green]Everything recent returns use is mapped.")


def check_mappings_command(
    mappings: Annotated[
        Path | None, typer.Option(help="the mapping file (default RETURNFLOW_MAPPINGS_FILE)")
    ] = None,
    days: Annotated[int, typer.Option(help="audit Loop returns updated in the last N days")] = 30,
    json_path: Annotated[Path | None, typer.Option("--json", help="write the report here")] = None,
    since: Annotated[
        datetime | None, typer.Option(help="audit returns updated since (UTC); overrides --days")
    ] = None,
) -> None:
    """Audit the mapping file against recent Loop returns and the ERP; exit 1 if anything blocks."""
    import asyncio

    from workers.settings import Settings
    from workers.wiring import build_erp, build_loop

    settings = Settings()
    path = mappings or (Path(settings.mappings_file) if settings.mappings_file else None)
    if path is None:
        raise typer.BadParameter("give --mappings or set RETURNFLOW_MAPPINGS_FILE")
    console = Console()
    try:
        master = load_mappings(path)
    except MappingFileError as err:
        for line in err.lines():
            console.print(line, style="red", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None

    async def run() -> AuditReport:
        loop, erp = build_loop(settings), build_erp(settings)
        try:
            until = datetime.now(UTC)
            start = since.replace(tzinfo=UTC) if since else until - timedelta(days=days)
            return await audit(loop, erp, master, start, until)
        finally:
            await loop.aclose()
            await erp.aclose()

    report = asyncio.run(run())
    render(report, console)
    if json_path is not None:
        json_path.write_text(json.dumps(report.model_dump(mode="json"), indent=2) + "\n")
    raise typer.Exit(1 if report.blocking else 0)
