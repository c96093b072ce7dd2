"""Default-suite failure drill: 20 returns (refunds, exchanges and store credit), a worker
SIGKILL, a server restart, 20% ERP faults, on each store a deployment can run: the embedded
SQLite file and PostgreSQL (what production uses, where a killed worker leaves a dropped
connection and an open transaction behind), and on each ERP returnflow writes to: NetSuite, and
the UK ERPs Khaos Control and Prima, whose SOAP APIs find a repeated write by our reference
instead of an external id."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pytest

from tests.drills.chaos import LOST_ANSWERS, Traffic, phased_drill
from tests.drills.stack import open_stack
from tests.drills.store_audit import store_findings
from tests.pg import pg_database

RETURNS = 20
# 10 refunds, 5 exchanges (the child's sales order) and 5 store credits (a gift card's liability)
TRAFFIC = Traffic(RETURNS, outcomes=("refund", "exchange", "refund", "store_credit"))


@contextmanager
def store(kind: str) -> Iterator[str | None]:
    """None: the stack's own SQLite file; otherwise a fresh PostgreSQL database's URL."""
    with pg_database("returnflow_drill") if kind == "postgresql" else nullcontext() as url:
        yield url


@pytest.mark.parametrize(
    ("store_kind", "erp_system"),
    [("sqlite", "netsuite"), ("postgresql", "netsuite"), ("sqlite", "khaos"), ("sqlite", "prima")],
)
async def test_every_return_ends_once_through_kills_restarts_and_erp_faults(
    tmp_path: Path, store_kind: str, erp_system: str
) -> None:
    with store(store_kind) as store_url:
        async with open_stack(
            tmp_path, orders=RETURNS, store_url=store_url, erp_system=erp_system
        ) as stack:
            assert stack.worker is not None
            result = await phased_drill(stack, TRAFFIC)
            assert stack.worker.starts == 2
            in_store = store_findings(stack.settings.store_url, RETURNS)
            erp = stack.erp

    assert result.audit.findings == [], result.summary()
    documents = result.audit.documents
    authorization, _, _, refund = erp.one_each
    assert documents[authorization] == RETURNS
    assert documents[erp.sales_order] == TRAFFIC.count("exchange") == 5
    store_credits = TRAFFIC.count("store_credit")
    if erp.store_credit == refund:  # NetSuite and Prima pay a gift card like a refund
        assert documents[refund] == TRAFFIC.count("refund") + store_credits
    else:
        assert (documents[refund], documents[erp.store_credit]) == (
            TRAFFIC.count("refund"),
            store_credits,
        )
    assert sum(result.faults_injected.values()) > 0  # the faults really happened
    assert result.lost_answers == LOST_ANSWERS
    # the store's audit trail lost no transition and wrote none twice through the kills
    assert in_store == []
