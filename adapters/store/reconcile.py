"""Reconciliation in the database: staged Loop and ERP records, findings by SQL, totals.

Both sides are staged page by page into `reconciliation_items` (flat memory whatever the volume)
and every comparison is one INSERT ... SELECT over indexed columns, so a period of a million
returns is matched by the database, not by Python. Each step is idempotent per run id, so a
retried activity or a resumed run writes the same rows again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, Table, bindparam, delete, func, select, text
from sqlalchemy import update as sa_update

from adapters.store.store import Store
from adapters.store.tables import (
    ReconciliationFindingRow,
    ReconciliationItemRow,
    ReconciliationRunRow,
)
from adapters.store.types import UTCDateTime

_RUNS: Table = ReconciliationRunRow.__table__  # type: ignore[attr-defined]
_FINDINGS: Table = ReconciliationFindingRow.__table__  # type: ignore[attr-defined]
_ITEMS: Table = ReconciliationItemRow.__table__  # type: ignore[attr-defined]
LOOP = "loop"
RA, RECEIPT, CREDIT = "return_authorization", "item_receipt", "credit_memo"
OPEN_IN_LOOP = ("open", "review")
_EMPTY_ITEM = {c.name: None for c in _ITEMS.columns}

# One statement per finding kind; :run, :start, :end, :cutoff and :tol are bound per run.
_INSERT = (
    "INSERT INTO reconciliation_findings (run_id, id, kind, return_id, erp_document_id,"
    " storefront, currency, loop_amount, erp_amount) "
)
_HAS = (
    "EXISTS (SELECT 1 FROM reconciliation_items e WHERE e.run_id = :run AND e.source = '{}'"
    " AND e.return_id = l.return_id)"
)
FINDINGS: dict[str, str] = {
    "orphaned_return": _INSERT
    + "SELECT l.run_id, 'orphaned_return:' || l.key, 'orphaned_return', l.return_id, NULL,"
    " l.storefront, l.currency, l.amount, NULL FROM reconciliation_items l"
    " WHERE l.run_id = :run AND l.source = 'loop' AND l.state <> 'cancelled'"
    f" AND l.at < :cutoff AND NOT {_HAS.format(RA)}",
    "refund_without_credit": _INSERT
    + "SELECT l.run_id, 'refund_without_credit:' || l.key, 'refund_without_credit', l.return_id,"
    " NULL, l.storefront, l.currency, l.refunded, NULL FROM reconciliation_items l"
    " WHERE l.run_id = :run AND l.source = 'loop' AND l.refunded > 0"
    f" AND COALESCE(l.changed_at, l.at) < :cutoff AND NOT {_HAS.format(CREDIT)}",
    "amount_mismatch": _INSERT
    + "SELECT l.run_id, 'amount_mismatch:' || l.key, 'amount_mismatch', l.return_id, c.doc,"
    " l.storefront, l.currency, l.amount, c.total FROM reconciliation_items l JOIN ("
    "   SELECT return_id, SUM(amount) AS total, MIN(key) AS doc FROM reconciliation_items"
    f"   WHERE run_id = :run AND source = '{CREDIT}' GROUP BY return_id"
    " ) c ON c.return_id = l.return_id"
    " WHERE l.run_id = :run AND l.source = 'loop' AND ABS(l.amount - c.total) > :tol",
    "erp_document_without_return": _INSERT
    + "SELECT e.run_id, 'erp_document_without_return:' || e.source || ':' || e.key,"
    " 'erp_document_without_return', COALESCE(e.return_id, 'erp-' || e.key), e.key,"
    " NULL, e.currency, NULL, e.amount FROM reconciliation_items e"
    " WHERE e.run_id = :run AND e.source <> 'loop' AND e.at >= :start AND e.at < :end"
    " AND NOT EXISTS (SELECT 1 FROM reconciliation_items l WHERE l.run_id = :run"
    "   AND l.source = 'loop' AND l.return_id = e.return_id)"
    " AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.return_id = e.return_id)",
    "received_but_open_in_loop": _INSERT
    + "SELECT l.run_id, 'received_but_open_in_loop:' || l.key, 'received_but_open_in_loop',"
    " l.return_id, MIN(e.key), l.storefront, l.currency, l.amount, NULL"
    " FROM reconciliation_items l JOIN reconciliation_items e ON e.run_id = :run"
    f"   AND e.source = '{RECEIPT}' AND e.return_id = l.return_id"
    f" WHERE l.run_id = :run AND l.source = 'loop' AND l.state IN {OPEN_IN_LOOP}"
    " AND e.at < :cutoff GROUP BY l.run_id, l.key, l.return_id, l.storefront, l.currency, l.amount",
    "restock_without_inspection": _INSERT
    + "SELECT l.run_id, 'restock_without_inspection:' || l.key, 'restock_without_inspection',"
    " l.return_id, NULL, l.storefront, l.currency, l.amount, NULL FROM reconciliation_items l"
    " WHERE l.run_id = :run AND l.source = 'loop' AND EXISTS (SELECT 1 FROM webhooks w"
    "   WHERE w.return_id = l.return_id AND w.topic = 'restock' AND w.accepted)"
    f" AND (NOT {_HAS.format(RECEIPT)} OR NOT EXISTS (SELECT 1 FROM returns r"
    "   WHERE r.return_id = l.return_id AND r.inspected_at IS NOT NULL))",
}


def _money(value: Any) -> str:
    return str(Decimal(str(value or 0)).quantize(Decimal("0.01")))


class ReconciliationLedger:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine: Engine = store.engine

    def begin(
        self, run_id: str, start: datetime, end: datetime, windows: int, at: datetime
    ) -> None:
        values = {
            "id": run_id,
            "period_start": start,
            "period_end": end,
            "started_at": at,
            "windows_total": windows,
            "totals": {},
            "finding_counts": {},
        }
        with self.engine.begin() as conn:
            conn.execute(self.store.upsert(_RUNS, ("id",)), values)

    def stage(self, run_id: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Insert (or refresh) one page of staged records; returns how many."""
        batch = [{**_EMPTY_ITEM, **row, "run_id": run_id} for row in rows]
        if not batch:
            return 0
        with self.engine.begin() as conn:
            stmt = self.store.upsert(_ITEMS, ("run_id", "source", "key"), batch[0])
            conn.execute(stmt, batch)  # executemany: SQLAlchemy batches the page
        return len(batch)

    def window_done(self, run_id: str, index: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                sa_update(_RUNS)
                .where(_RUNS.c.id == run_id, _RUNS.c.windows_done < index + 1)
                .values(windows_done=index + 1)
            )

    def find(
        self, run_id: str, start: datetime, end: datetime, cutoff: datetime, tolerance: Decimal
    ) -> dict[str, int]:
        """Write every finding of the run (again, idempotently); count them by kind."""
        times = [bindparam(n, type_=UTCDateTime()) for n in ("start", "end", "cutoff")]
        params = {
            "run": run_id,
            "start": start,
            "end": end,
            "cutoff": cutoff,
            # Money is 4 places; half a unit of slack keeps SQLite's doubles from flagging a
            # delta of exactly the tolerance
            "tol": float(tolerance) + 0.00005,
        }
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                # freshly staged rows have no statistics yet; without them the planner picks
                # nested loops over a million rows
                conn.execute(text("ANALYZE reconciliation_items"))
            conn.execute(delete(_FINDINGS).where(_FINDINGS.c.run_id == run_id))
            for sql in FINDINGS.values():
                clause = text(sql).bindparams(*(t for t in times if f":{t.key}" in sql))
                conn.execute(clause, params)
            counts = conn.execute(
                select(_FINDINGS.c.kind, func.count())
                .where(_FINDINGS.c.run_id == run_id)
                .group_by(_FINDINGS.c.kind)
            ).all()
        return {kind: int(n) for kind, n in counts}

    def findings(self, run_id: str, page: int = 1000) -> Iterator[ReconciliationFindingRow]:
        """Every finding of a run, a page at a time."""
        after = ""
        while True:
            rows = self.findings_after(run_id, after, page)
            yield from rows
            if len(rows) < page:
                return
            after = rows[-1].id

    def findings_after(self, run_id: str, after: str, limit: int) -> list[ReconciliationFindingRow]:
        """One page of a run's findings, keyset on the id (so a page costs the same anywhere)."""
        query = (
            select(_FINDINGS)
            .where(_FINDINGS.c.run_id == run_id, _FINDINGS.c.id > after)
            .order_by(_FINDINGS.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings()
            return [ReconciliationFindingRow.model_validate(dict(r)) for r in rows]

    def set_exception(self, run_id: str, finding_id: str, exception_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                sa_update(_FINDINGS)
                .where(_FINDINGS.c.run_id == run_id, _FINDINGS.c.id == finding_id)
                .values(exception_id=exception_id)
            )

    def totals(self, run_id: str, start: datetime, end: datetime) -> dict[str, Any]:
        """Counts and amounts per source, state, storefront and currency; the deltas."""
        by = {"run": run_id}
        loop_rows = self._all(
            "SELECT state, storefront, currency, COUNT(*) AS n, SUM(amount) AS amount,"
            " SUM(refunded) AS refunded FROM reconciliation_items WHERE run_id = :run"
            " AND source = 'loop' GROUP BY state, storefront, currency"
            " ORDER BY state, storefront, currency",
            by,
        )
        erp_rows = self._all(
            "SELECT e.source AS kind, COALESCE(l.storefront, r.storefront, 'unknown')"
            " AS storefront, e.currency AS currency, COUNT(*) AS n, SUM(e.amount) AS amount"
            " FROM reconciliation_items e LEFT JOIN reconciliation_items l ON l.run_id = :run"
            " AND l.source = 'loop' AND l.return_id = e.return_id"
            " LEFT JOIN returns r ON r.return_id = e.return_id"
            " WHERE e.run_id = :run AND e.source <> 'loop' AND e.at >= :start AND e.at < :end"
            " GROUP BY e.source, COALESCE(l.storefront, r.storefront, 'unknown'), e.currency"
            " ORDER BY 1, 2, 3",
            {**by, "start": start, "end": end},
        )
        store_rows = self._all(
            "SELECT state, storefront, currency, COUNT(*) AS n,"
            " SUM(loop_refund_amount) AS loop_amount, SUM(erp_refund_amount) AS erp_amount"
            " FROM returns WHERE created_at >= :start AND created_at < :end"
            " GROUP BY state, storefront, currency ORDER BY state, storefront, currency",
            {"start": start, "end": end},
        )
        # per return: the credit's difference from Loop's figure, or a refund with no credit
        per_return = self._all(
            "SELECT l.currency AS currency, SUM(CASE WHEN c.total IS NOT NULL"
            " THEN ABS(COALESCE(l.amount, 0) - c.total) WHEN l.refunded > 0 THEN l.refunded"
            " ELSE 0 END) AS absolute, SUM(COALESCE(l.amount, 0)) AS loop_amount,"
            " SUM(COALESCE(c.total, 0)) AS erp_amount FROM reconciliation_items l LEFT JOIN ("
            "   SELECT return_id, SUM(amount) AS total FROM reconciliation_items"
            f"   WHERE run_id = :run AND source = '{CREDIT}' GROUP BY return_id"
            " ) c ON c.return_id = l.return_id WHERE l.run_id = :run AND l.source = 'loop'"
            " AND l.state <> 'cancelled' GROUP BY l.currency ORDER BY 1",
            by,
        )
        loop_count = sum(int(r["n"]) for r in loop_rows if r["state"] != "cancelled")
        erp_count = sum(int(r["n"]) for r in erp_rows if r["kind"] == RA)
        return {
            "loop": [
                {**_plain(r), "amount": _money(r["amount"]), "refunded": _money(r["refunded"])}
                for r in loop_rows
            ],
            "erp": [{**_plain(r), "amount": _money(r["amount"])} for r in erp_rows],
            "store": [
                {
                    **_plain(r),
                    "loop_amount": _money(r["loop_amount"]),
                    "erp_amount": _money(r["erp_amount"]),
                }
                for r in store_rows
            ],
            "money": [
                {
                    "currency": r["currency"],
                    "loop_amount": _money(r["loop_amount"]),
                    "erp_credited": _money(r["erp_amount"]),
                    "net_delta": _money(
                        Decimal(str(r["loop_amount"] or 0)) - Decimal(str(r["erp_amount"] or 0))
                    ),
                    "absolute_delta": _money(r["absolute"]),
                }
                for r in per_return
            ],
            "loop_count": loop_count,
            "erp_count": erp_count,
        }

    def _all(self, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        times = [bindparam(n, type_=UTCDateTime()) for n in ("start", "end") if f":{n}" in sql]
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(sql).bindparams(*times), params).mappings()]

    def finish(
        self, run_id: str, totals: dict[str, Any], counts: dict[str, int], at: datetime
    ) -> None:
        absolute = sum((Decimal(m["absolute_delta"]) for m in totals["money"]), Decimal("0"))
        with self.engine.begin() as conn:
            conn.execute(
                sa_update(_RUNS)
                .where(_RUNS.c.id == run_id)
                .values(
                    finished_at=at,
                    loop_count=totals["loop_count"],
                    erp_count=totals["erp_count"],
                    count_delta=totals["loop_count"] - totals["erp_count"],
                    amount_delta=absolute,
                    totals=totals,
                    finding_counts=counts,
                )
            )
            conn.execute(delete(_ITEMS).where(_ITEMS.c.run_id == run_id))

    def run(self, run_id: str) -> ReconciliationRunRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(_RUNS).where(_RUNS.c.id == run_id)).mappings().first()
        return ReconciliationRunRow.model_validate(dict(row)) if row else None


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: v for k, v in row.items() if k not in ("amount", "refunded", "loop_amount", "erp_amount")
    } | {"n": int(row["n"])}
