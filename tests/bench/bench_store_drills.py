"""The chaos drill at size with PostgreSQL as the store (bench_drills runs it on SQLite).

    python -m tests.bench.bench_store_drills   # BENCH_STORE_DRILL_RETURNS=300
                                               # BENCH_STORE_DRILL_ERP=netsuite
                                               # and bench_drills' BENCH_DRILL_KILLS, _RESTARTS,
                                               # _EVERY_S, _CONCURRENCY and _OUTCOMES

PostgreSQL is what a deployment runs. A SIGKILLed worker leaves its connections to be dropped
by the server, with whatever transaction they held rolled back, and the ingress and the worker
write concurrently instead of one writer at a time: the store's idempotency (each transition
written once, seqs 1..n) is audited here at size. The database is a fresh one on
RETURNFLOW_TEST_PG_URL, dropped after the run.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from tests.bench.bench_drills import chaos, chaos_row
from tests.bench.report import machine, publish, table
from tests.bench.targets import ERP_NAMES
from tests.pg import pg_database

RETURNS = int(os.environ.get("BENCH_STORE_DRILL_RETURNS", "300"))
ERP = os.environ.get("BENCH_STORE_DRILL_ERP", "netsuite")
pytestmark = pytest.mark.bench


async def measure() -> dict[str, Any]:
    host = machine()
    with pg_database("returnflow_bench_drill") as url:
        return {"machine": host, "chaos": await chaos(RETURNS, ERP, store_url=url)}


def markdown(f: dict[str, Any]) -> str:
    c = f["chaos"]
    erp = ERP_NAMES.get(c["erp_system"], c["erp_system"])
    return f"""
{table(["store", "ERP", "drill", "size", "result"], [[c["store"], erp, *chaos_row(c)]])}

The same timed drill and exact audit as bench_drills, with the store (projection, audit trail,
webhook log, approvals, exception cases) in a fresh PostgreSQL database instead of the SQLite
file: the ingress (in the driving process) and the worker each hold a connection pool, and
every worker SIGKILL drops the worker's connections with whatever transaction they had open.

Disruptions (seconds from start): {"; ".join(c["disruptions"])}.
"""


def test_store_drill_at_size() -> None:
    figures = asyncio.run(measure())
    title = "Failure drill on the PostgreSQL store"
    publish("bench_store_drills", title, figures, markdown(figures))
    assert figures["chaos"]["clean"], figures["chaos"]["findings"][:5]


if __name__ == "__main__":
    test_store_drill_at_size()
