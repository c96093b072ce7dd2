"""The chaos drill at size on the UK ERPs, Khaos Control and Prima (bench_drills runs NetSuite).

    python -m tests.bench.bench_erp_drills   # BENCH_ERP_DRILL_RETURNS=300 per ERP
                                             # BENCH_ERP_DRILL_ERPS=khaos,prima
                                             # and bench_drills' BENCH_DRILL_KILLS, _RESTARTS,
                                             # _EVERY_S and _CONCURRENCY

Their SOAP APIs take no external id: a repeated write (a retry after a lost answer, or an
activity re-run after its worker was killed) is found by the reference we wrote on the first
one. This drill is where a gap in that would show, as a second document for a return.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from tests.bench.bench_drills import chaos, chaos_row
from tests.bench.report import machine, publish, table
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
    return {"machine": host, "runs": [await chaos(RETURNS, erp) for erp in ERPS]}


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
to Loop's refund to the cent, and Loop's return finished exactly once.

Disruptions (seconds from start): {disruptions}
"""


def test_erp_drills_at_size() -> None:
    figures = asyncio.run(measure())
    publish("bench_erp_drills", "Failure drills on the UK ERPs", figures, markdown(figures))
    assert all(c["clean"] for c in figures["runs"]), [c["findings"][:5] for c in figures["runs"]]


if __name__ == "__main__":
    test_erp_drills_at_size()
