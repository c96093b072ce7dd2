"""The KPI scorecard: the week's figures set against targets, red/amber/green, with trend.

Targets are per KPI and may be overridden globally (RETURNFLOW_KPI_TARGETS) and per item category
(RETURNFLOW_KPI_CATEGORY_TARGETS), because one global target hides the real problem. A key
`<kpi>.amber` moves the amber limit; otherwise amber is a fixed band past the target.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from pydantic import BaseModel

from adapters.store.kpi import GroupFigures, KpiQueries, Week, WeekFigures


class Rag(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    NONE = "no data"


@dataclass(frozen=True)
class KpiSpec:
    key: str
    label: str
    unit: str
    lower_is_better: bool
    target: float
    amber: float  # the limit of the amber band, past the target
    value: Callable[[GroupFigures, WeekFigures], float | None]


def _hours(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _days(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 86400, 2)


def _whole(value: object) -> float | None:
    return None if value is None else float(abs(value))  # type: ignore[arg-type]


SPECS: tuple[KpiSpec, ...] = (
    KpiSpec(
        "cycle_p50_days",
        "Return cycle time p50",
        "days",
        True,
        7,
        10,
        lambda g, w: _days(g.cycle_p50_s),
    ),
    KpiSpec(
        "cycle_p90_days",
        "Return cycle time p90",
        "days",
        True,
        14,
        21,
        lambda g, w: _days(g.cycle_p90_s),
    ),
    KpiSpec(
        "refund_p50_hours",
        "Refund SLA p50 (receipt to refund)",
        "hours",
        True,
        24,
        36,
        lambda g, w: _hours(g.refund_p50_s),
    ),
    KpiSpec(
        "refund_p90_hours",
        "Refund SLA p90",
        "hours",
        True,
        48,
        72,
        lambda g, w: _hours(g.refund_p90_s),
    ),
    KpiSpec(
        "refund_within_sla_pct",
        "Refunds within SLA",
        "%",
        False,
        95,
        85,
        lambda g, w: g.refund_within_target_pct,
    ),
    KpiSpec(
        "exception_rate_pct", "Exception rate", "%", True, 10, 15, lambda g, w: g.exception_rate_pct
    ),
    KpiSpec(
        "auto_approval_pct",
        "Auto-approval rate",
        "%",
        False,
        70,
        60,
        lambda g, w: g.auto_approval_pct,
    ),
    KpiSpec(
        "restock_accuracy_pct",
        "Restock accuracy (units dispositioned / received)",
        "%",
        False,
        99,
        97,
        lambda g, w: g.restock_accuracy_pct,
    ),
    KpiSpec(
        "recon_count_delta",
        "Reconciliation delta (returns)",
        "returns",
        True,
        0,
        5,
        lambda g, w: _whole(w.recon_count_delta),
    ),
    KpiSpec(
        "recon_amount_delta",
        "Reconciliation delta (money)",
        "amount",
        True,
        0,
        50,
        lambda g, w: _whole(w.recon_amount_delta),
    ),
    KpiSpec(
        "aged_backlog",
        "Aged backlog (open past the age limit)",
        "returns",
        True,
        0,
        10,
        lambda g, w: float(g.aged_backlog),
    ),
)
SLA_TARGET_KEY = "refund_sla_hours"  # the receipt-to-refund SLA "within SLA" is measured by


def rag(value: float | None, target: float, amber: float, lower_is_better: bool) -> Rag:
    if value is None:
        return Rag.NONE
    if lower_is_better:
        return Rag.GREEN if value <= target else Rag.AMBER if value <= amber else Rag.RED
    return Rag.GREEN if value >= target else Rag.AMBER if value >= amber else Rag.RED


class KpiLine(BaseModel):
    key: str
    label: str
    unit: str
    value: float | None
    previous: float | None
    target: float
    amber: float
    status: Rag


class GroupCard(BaseModel):
    group: str
    lines: list[KpiLine]
    figures: GroupFigures


class Scorecard(BaseModel):
    week: str
    previous_week: str
    by: str | None
    refund_sla_hours: float
    backlog_age_days: float
    cards: list[GroupCard]
    current: WeekFigures
    previous: WeekFigures
    history: list[WeekFigures]  # oldest first, ending with `current`, overall figures


def _targets(
    spec: KpiSpec,
    group: str,
    by: str | None,
    overrides: Mapping[str, float],
    per_category: Mapping[str, Mapping[str, float]],
) -> tuple[float, float]:
    chosen = {**overrides, **(per_category.get(group, {}) if by == "category" else {})}
    target = float(chosen.get(spec.key, spec.target))
    shift = target - spec.target
    return target, float(chosen.get(f"{spec.key}.amber", spec.amber + shift))


def build_scorecard(
    queries: KpiQueries,
    week: Week,
    by: str | None,
    *,
    backlog_age: timedelta,
    targets: Mapping[str, float] | None = None,
    category_targets: Mapping[str, Mapping[str, float]] | None = None,
    history_weeks: int = 6,
) -> Scorecard:
    overrides, per_category = dict(targets or {}), dict(category_targets or {})
    sla = timedelta(hours=float(overrides.get(SLA_TARGET_KEY, 48)))

    def figures(w: Week, grouping: str | None) -> WeekFigures:
        return queries.week(w, grouping, refund_sla=sla, backlog_age=backlog_age)

    current, previous = figures(week, by), figures(week.previous(), by)
    history = [figures(week.previous(n), None) for n in range(history_weeks - 1, 0, -1)]
    history.append(current if by is None else figures(week, None))
    cards = []
    for group in sorted(set(current.groups) | set(previous.groups)):
        now = current.groups.get(group, GroupFigures())
        before = previous.groups.get(group, GroupFigures())
        lines = []
        for spec in SPECS:
            target, amber = _targets(spec, group, by, overrides, per_category)
            value = spec.value(now, current)
            lines.append(
                KpiLine(
                    key=spec.key,
                    label=spec.label,
                    unit=spec.unit,
                    value=value,
                    previous=spec.value(before, previous),
                    target=target,
                    amber=amber,
                    status=rag(value, target, amber, spec.lower_is_better),
                )
            )
        cards.append(GroupCard(group=group, lines=lines, figures=now))
    return Scorecard(
        week=week.label,
        previous_week=week.previous().label,
        by=by,
        refund_sla_hours=sla.total_seconds() / 3600,
        backlog_age_days=backlog_age.total_seconds() / 86400,
        cards=cards,
        current=current,
        previous=previous,
        history=history,
    )
