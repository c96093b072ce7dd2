"""The weekly KPI scorecard's numbers: SQL aggregates over the projection, SQLite and PostgreSQL.

Everything is computed in the database (counts, sums, nearest-rank percentiles through window
functions), so a week of a million returns costs a few indexed scans and a handful of rows back,
never a million objects in memory. Durations are whole seconds; rates are percentages.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Engine, bindparam, text
from sqlalchemy.sql.elements import TextClause

from adapters.store.types import UTCDateTime

GROUPS = {
    None: "'all'",
    "category": "COALESCE(r.category, 'uncategorised')",
    "storefront": "r.storefront",
}
AGE_BUCKETS = ((2, "<2d"), (7, "2-7d"), (14, "7-14d"), (30, "14-30d"), (None, "30d+"))
_TIMES = ("s", "e", "now")


@dataclass(frozen=True)
class Week:
    """An ISO week [start, end) in UTC."""

    year: int
    number: int

    @classmethod
    def parse(cls, label: str) -> Week:
        """'2026-W47' → Week(2026, 47); ValueError for anything else."""
        year, sep, number = label.strip().upper().partition("-W")
        if not sep or not year.isdigit() or not number.isdigit():
            raise ValueError(f"expected an ISO week like 2026-W47, not {label!r}")
        date.fromisocalendar(int(year), int(number), 1)  # validates the week number
        return cls(int(year), int(number))

    @classmethod
    def containing(cls, moment: datetime) -> Week:
        year, number, _ = moment.astimezone(UTC).isocalendar()
        return cls(year, number)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def start(self) -> datetime:
        day = date.fromisocalendar(self.year, self.number, 1)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=7)

    def previous(self, n: int = 1) -> Week:
        return Week.containing(self.start - timedelta(days=7 * n))


class GroupFigures(BaseModel):
    """One group's KPIs for one week (None where the week had nothing to measure)."""

    returns: int = 0
    cycle_count: int = 0
    cycle_p50_s: int | None = None
    cycle_p90_s: int | None = None
    refund_count: int = 0
    refund_p50_s: int | None = None
    refund_p90_s: int | None = None
    refund_within_target_pct: float | None = None
    exception_rate_pct: float | None = None
    exception_returns: int = 0
    exception_kinds: dict[str, int] = Field(default_factory=dict)
    auto_approval_pct: float | None = None
    units_received: int = 0
    units_restocked: int = 0
    units_refurbished: int = 0
    units_scrapped: int = 0
    units_returned_to_vendor: int = 0
    restock_accuracy_pct: float | None = None
    aged_backlog: int = 0
    backlog_by_gate: dict[str, int] = Field(default_factory=dict)


class WeekFigures(BaseModel):
    week: str
    start: datetime
    end: datetime
    groups: dict[str, GroupFigures]
    backlog_ageing: dict[str, int]  # age bucket -> open returns (all groups)
    recon_run: str | None = None
    recon_count_delta: int | None = None
    recon_amount_delta: Decimal | None = None
    webhook_missed: int = 0


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


class KpiQueries:
    """The scorecard's queries on one engine; `by` groups by category or storefront."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    def _seconds(self, later: str, earlier: str) -> str:
        if self.dialect == "postgresql":
            return f"CAST(ROUND(EXTRACT(EPOCH FROM ({later} - {earlier}))) AS BIGINT)"
        return f"CAST(ROUND((julianday({later}) - julianday({earlier})) * 86400) AS INTEGER)"

    def _sql(self, sql: str) -> TextClause:
        clause = text(sql)
        names = [n for n in _TIMES if f":{n}" in sql]
        return clause.bindparams(*(bindparam(n, type_=UTCDateTime()) for n in names))

    def _rows(self, sql: str, **params: Any) -> Iterator[Mapping[str, Any]]:
        with self.engine.connect() as conn:
            for row in conn.execute(self._sql(sql), params).mappings():
                yield dict(row)

    def _percentiles(
        self, group: str, duration: str, where: str, **params: Any
    ) -> dict[str, tuple[int, int, int]]:
        """group -> (count, p50, p90) by nearest rank: the ceil(p * n)-th smallest value."""
        sql = f"""
            SELECT g, n, rn, d FROM (
                SELECT g, d, ROW_NUMBER() OVER (PARTITION BY g ORDER BY d) AS rn,
                       COUNT(*) OVER (PARTITION BY g) AS n
                FROM (SELECT {group} AS g, {duration} AS d FROM returns r WHERE {where}) x
            ) y
            WHERE rn = (n * 50 + 99) / 100 OR rn = (n * 90 + 99) / 100
        """
        found: dict[str, dict[str, int]] = {}
        for row in self._rows(sql, **params):
            entry = found.setdefault(row["g"], {"n": int(row["n"])})
            n, rank = int(row["n"]), int(row["rn"])
            if rank == (n * 50 + 99) // 100:
                entry["p50"] = int(row["d"])
            if rank == (n * 90 + 99) // 100:
                entry["p90"] = int(row["d"])
        return {g: (v["n"], v["p50"], v["p90"]) for g, v in found.items()}

    def week(
        self, week: Week, by: str | None, refund_sla: timedelta, backlog_age: timedelta
    ) -> WeekFigures:
        if by not in GROUPS:
            raise ValueError(f"group by one of category, storefront, not {by!r}")
        group, s, e = GROUPS[by], week.start, week.end
        groups: dict[str, GroupFigures] = {}

        def at(key: str) -> GroupFigures:
            return groups.setdefault(key, GroupFigures())

        cycle = self._seconds("r.disposed_at", "r.created_at")
        for key, (n, p50, p90) in self._percentiles(
            group, cycle, "r.disposed_at >= :s AND r.disposed_at < :e", s=s, e=e
        ).items():
            at(key).cycle_count, at(key).cycle_p50_s, at(key).cycle_p90_s = n, p50, p90

        refund = self._seconds("r.refunded_at", "r.received_at")
        refund_where = "r.refunded_at >= :s AND r.refunded_at < :e AND r.received_at IS NOT NULL"
        for key, (n, p50, p90) in self._percentiles(group, refund, refund_where, s=s, e=e).items():
            at(key).refund_count, at(key).refund_p50_s, at(key).refund_p90_s = n, p50, p90
        for row in self._rows(
            f"""SELECT {group} AS g, COUNT(*) AS n,
                       SUM(CASE WHEN {refund} <= :target THEN 1 ELSE 0 END) AS ok
                FROM returns r WHERE {refund_where} GROUP BY g""",
            s=s,
            e=e,
            target=int(refund_sla.total_seconds()),
        ):
            at(row["g"]).refund_within_target_pct = _pct(int(row["ok"]), int(row["n"]))

        for row in self._rows(
            f"""SELECT {group} AS g, COUNT(*) AS n,
                       SUM(CASE WHEN r.auto_approved THEN 1 ELSE 0 END) AS auto
                FROM returns r WHERE r.refunded_at >= :s AND r.refunded_at < :e
                GROUP BY g""",
            s=s,
            e=e,
        ):
            at(row["g"]).auto_approval_pct = _pct(int(row["auto"]), int(row["n"]))

        hit = "EXISTS (SELECT 1 FROM exceptions x WHERE x.return_id = r.return_id)"
        for row in self._rows(
            f"""SELECT {group} AS g, COUNT(*) AS n, SUM(CASE WHEN {hit} THEN 1 ELSE 0 END) AS hit
                FROM returns r WHERE r.created_at >= :s AND r.created_at < :e
                GROUP BY g""",
            s=s,
            e=e,
        ):
            figures = at(row["g"])
            figures.returns, figures.exception_returns = int(row["n"]), int(row["hit"])
            figures.exception_rate_pct = _pct(figures.exception_returns, figures.returns)
        for row in self._rows(
            f"""SELECT {group} AS g, x.kind AS kind, COUNT(DISTINCT r.return_id) AS n
                FROM returns r JOIN exceptions x ON x.return_id = r.return_id
                WHERE r.created_at >= :s AND r.created_at < :e GROUP BY g, x.kind""",
            s=s,
            e=e,
        ):
            at(row["g"]).exception_kinds[row["kind"]] = int(row["n"])

        units = ("received", "restocked", "refurbished", "scrapped", "returned_to_vendor")
        sums = ", ".join(f"COALESCE(SUM(r.units_{u}), 0) AS {u}" for u in units)
        for row in self._rows(
            f"""SELECT {group} AS g, {sums} FROM returns r
                WHERE r.disposed_at >= :s AND r.disposed_at < :e GROUP BY g""",
            s=s,
            e=e,
        ):
            figures = at(row["g"])
            for u in units:
                setattr(figures, f"units_{u}", int(row[u]))
            accounted = sum(int(row[u]) for u in units[1:])
            figures.restock_accuracy_pct = _pct(accounted, figures.units_received)

        open_at_end = (
            "r.created_at < :e AND (r.closed_at IS NULL OR r.closed_at >= :e)"
            " AND (r.cancelled_at IS NULL OR r.cancelled_at >= :e)"
        )
        age = self._seconds(":e", "r.created_at")
        for row in self._rows(
            f"""SELECT {group} AS g, r.state AS gate, COUNT(*) AS n FROM returns r
                WHERE {open_at_end} AND {age} > :limit GROUP BY g, r.state""",
            e=e,
            limit=int(backlog_age.total_seconds()),
        ):
            figures = at(row["g"])
            figures.backlog_by_gate[row["gate"]] = int(row["n"])
            figures.aged_backlog += int(row["n"])

        return WeekFigures(
            week=week.label,
            start=s,
            end=e,
            groups=dict(sorted(groups.items())),
            backlog_ageing=self._ageing(open_at_end, age, e),
            webhook_missed=self._missed(s, e),
            **self._reconciliation(s, e),
        )

    def _ageing(self, open_at_end: str, age: str, end: datetime) -> dict[str, int]:
        cases = []
        for upper, label in AGE_BUCKETS:
            if upper is None:
                cases.append(f"ELSE '{label}'")
            else:
                cases.append(f"WHEN {age} < {upper * 86400} THEN '{label}'")
        bucket = "CASE " + " ".join(cases) + " END"
        counts = {label: 0 for _, label in AGE_BUCKETS}
        for row in self._rows(
            f"SELECT {bucket} AS b, COUNT(*) AS n FROM returns r WHERE {open_at_end} GROUP BY b",
            e=end,
        ):
            counts[row["b"]] = int(row["n"])
        return counts

    def _missed(self, start: datetime, end: datetime) -> int:
        rows = list(
            self._rows(
                "SELECT COALESCE(SUM(missed), 0) AS n FROM sweep_runs"
                " WHERE finished_at >= :s AND finished_at < :e",
                s=start,
                e=end,
            )
        )
        return int(rows[0]["n"])

    def _reconciliation(self, start: datetime, end: datetime) -> dict[str, Any]:
        """The newest finished run whose period ends inside the week."""
        for row in self._rows(
            """SELECT id, count_delta, amount_delta FROM reconciliation_runs
               WHERE finished_at IS NOT NULL AND period_end > :s AND period_end <= :e
               ORDER BY period_end DESC, finished_at DESC LIMIT 1""",
            s=start,
            e=end,
        ):
            amount = Decimal(str(row["amount_delta"])).quantize(Decimal("0.01"))
            return {
                "recon_run": row["id"],
                "recon_count_delta": int(row["count_delta"]),
                "recon_amount_delta": amount,
            }
        return {}
