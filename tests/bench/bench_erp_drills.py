"""The chaos drill at size on the UK ERPs, Khaos Control and Prima (bench_drills runs NetSuite).

    python -m tests.bench.bench_erp_drills   # BENCH_ERP_DRILL_RETURNS=300 per ERP
                                             # BENCH_ERP_DRILL_ERPS=khaos,prima
                                             # (an ERP left out keeps its last run)
                                             # and bench_drills' BENCH_DRILL_KILLS, _RESTARTS,
                                             # _EVERY_S and _CONCURRENCY

Their SOAP APIs take no external id: a repeated write (a retry after a lost answer, or an
activity re-run after its worker was killed) is found by the reference we wrote on the first
one. This drill is where a gap in that would show, as a second document for a return.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.bench.bench_drills import chaos, chaos_row
from tests.bench.report import JSON_DIR, machine, publish, table
from tests.bench.targets import ERP_NAMES as NAMES
from tests.drills.erp_records import SoapErpRecords

RETURNS = int(os.environ.get("BENCH_ERP_DRILL_RETURNS", "300"))
ERPS = [e for e in os.environ.get("BENCH_ERP_DRILL_ERPS", "khaos,prima").split(",") if e]
pytestmark = pytest.mark.bench


async def measure() -> dict[str, Any]:
    unknown = [e for e in ERPS if e not in SoapErpRecords.NAMES]
    if unknown:
        raise ValueError(
            f"BENCH_ERP_DRILL_ERPS names {unknown}: this bench runs {sorted(SoapErpRecords.NAMES)}"
            " (bench_drills runs NetSuite)"
        )
    host = machine()
    runs = []
    for erp in ERPS:
        runs.append({**await chaos(RETURNS, erp), "machine": host if not runs else machine()})
    return {"machine": host, "runs": merged(runs, JSON_DIR / "bench_erp_drills.json")}


def merged(runs: list[dict[str, Any]], previous: Path) -> list[dict[str, Any]]:
    """These runs, plus the last recorded run of each ERP not re-run now. A drill at size takes
    about an hour per ERP, so one session may re-run one ERP; the other's figures stay, each run
    with the machine and time it was measured on."""
    if not previous.exists():
        return runs
    old = json.loads(previous.read_text())
    fresh = {c["erp_system"] for c in runs}
    kept = [
        {**c, "machine": c.get("machine", old["machine"])}
        for c in old["runs"]
        if c["erp_system"] not in fresh
    ]
    order = list(SoapErpRecords.NAMES)
    return sorted([*runs, *kept], key=lambda c: order.index(c["erp_system"]))


def markdown(f: dict[str, Any]) -> str:
    rows = [[NAMES.get(c["erp_system"], c["erp_system"]), *chaos_row(c)] for c in f["runs"]]
    names = "; ".join(
        f"{NAMES.get(e, e)}: {', '.join(SoapErpRecords.NAMES[e])}"
        for e in (c["erp_system"] for c in f["runs"])
    )
    disruptions = " ".join(
        f"{NAMES.get(c['erp_system'], c['erp_system'])}: {'; '.join(c['disruptions'])}."
        for c in f["runs"]
    )
    return f"""
{table(["ERP", "drill", "size", "result"], rows)}

The same timed drill as bench_drills and the same exact audit, read from each ERP sandbox's
own document ledger: per return one of each of the ERP's four documents ({names}), found by
the reference returnflow wrote (loop-<return>-…), the credit's and the refund's amounts equal
to Loop's refund to the cent, and Loop's return finished exactly once. Where a run had other
outcomes, an exchange has one SalesOrder in place of the refund (its credit equal to Loop's
exchange credit), and store credit the ERP's store-credit document (Khaos AccountCredit, Prima
a GiftVoucher CreditPayment) equal to Loop's gift card.

Disruptions (seconds from start): {disruptions}{measured(f)}
"""


def measured(f: dict[str, Any]) -> str:
    """Where runs come from different invocations, say when and at what load each ran."""
    when = {c["erp_system"]: c.get("machine", f["machine"]) for c in f["runs"]}
    if len({m["measured_at"] for m in when.values()}) < 2:
        return ""
    each = "; ".join(
        f"{NAMES.get(e, e)} at {m['measured_at']} (1-min load {m['load_average_1m_at_start']}, "
        f"Python speed check {m.get('python_speed_ms', '?')} ms)"
        for e, m in when.items()
    )
    return f"\n\nThe runs were measured separately: {each}. The machine line below is the latest."


def test_erp_drills_at_size() -> None:
    figures = asyncio.run(measure())
    publish("bench_erp_drills", "Failure drills on the UK ERPs", figures, markdown(figures))
    assert all(c["clean"] for c in figures["runs"]), [c["findings"][:5] for c in figures["runs"]]


if __name__ == "__main__":
    test_erp_drills_at_size()
