"""Each KPI of a hand-worked week (see seed.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from adapters.store import Store
from adapters.store.kpi import KpiQueries, Week
from tests.kpi.seed import seed_week

W47 = Week.parse("2026-W47")
SLA, AGE = timedelta(hours=48), timedelta(days=7)
DAY, HOUR = 86400, 3600


def test_iso_weeks() -> None:
    assert W47.start.isoformat() == "2026-11-16T00:00:00+00:00"
    assert W47.end.isoformat() == "2026-11-23T00:00:00+00:00"
    assert W47.previous().label == "2026-W46"
    assert Week.parse("2026-W01").previous().label == "2025-W52"
    with pytest.raises(ValueError):
        Week.parse("2026-47")
    with pytest.raises(ValueError):
        Week.parse("2026-W54")


def test_overall_week(store: Store) -> None:
    seed_week(store)
    week = KpiQueries(store.engine).week(W47, None, refund_sla=SLA, backlog_age=AGE)
    overall = week.groups["all"]
    assert (overall.cycle_count, overall.cycle_p50_s, overall.cycle_p90_s) == (3, 4 * DAY, 5 * DAY)
    assert (overall.refund_count, overall.refund_p50_s, overall.refund_p90_s) == (
        3,
        48 * HOUR,
        72 * HOUR,
    )
    assert overall.refund_within_target_pct == 66.67  # r1 10h, r2 48h in; r3 72h out
    assert overall.auto_approval_pct == 66.67
    assert (overall.returns, overall.exception_returns, overall.exception_rate_pct) == (4, 2, 50.0)
    assert overall.exception_kinds == {
        "sku_mismatch": 1,
        "amount_mismatch": 1,
        "order_not_found": 1,
    }
    assert (overall.units_received, overall.units_restocked, overall.units_scrapped) == (6, 2, 1)
    assert (overall.units_refurbished, overall.units_returned_to_vendor) == (1, 1)
    assert overall.restock_accuracy_pct == 83.33  # 5 of 6 received units have a disposition
    assert (overall.aged_backlog, overall.backlog_by_gate) == (1, {"authorized": 1})
    assert week.backlog_ageing == {"<2d": 0, "2-7d": 1, "7-14d": 0, "14-30d": 1, "30d+": 0}
    assert (week.recon_run, week.recon_count_delta, week.recon_amount_delta) == (
        "recon-a",
        -2,
        Decimal("12.50"),
    )
    assert week.webhook_missed == 3


def test_previous_week(store: Store) -> None:
    seed_week(store)
    week = KpiQueries(store.engine).week(W47.previous(), None, refund_sla=SLA, backlog_age=AGE)
    overall = week.groups["all"]
    assert (overall.cycle_count, overall.cycle_p50_s) == (1, 5 * DAY)
    assert (overall.refund_p90_s, overall.refund_within_target_pct) == (24 * HOUR, 100.0)
    assert (overall.returns, overall.exception_rate_pct) == (1, 0.0)  # r1 only
    # open at the end of W46: r1 (2d old, closed later) and r5 (20d old, aged)
    assert week.backlog_ageing == {"<2d": 0, "2-7d": 1, "7-14d": 0, "14-30d": 1, "30d+": 0}
    assert overall.aged_backlog == 1
    assert (week.recon_run, week.recon_count_delta, week.webhook_missed) == ("recon-old", 9, 1)


def test_by_category_and_storefront(store: Store) -> None:
    seed_week(store)
    queries = KpiQueries(store.engine)
    by_category = queries.week(W47, "category", refund_sla=SLA, backlog_age=AGE).groups
    assert sorted(by_category) == ["apparel", "footwear", "uncategorised"]
    apparel, footwear = by_category["apparel"], by_category["footwear"]
    assert (apparel.cycle_p50_s, apparel.cycle_p90_s) == (3 * DAY, 4 * DAY)
    assert (footwear.cycle_p50_s, footwear.cycle_p90_s) == (5 * DAY, 5 * DAY)
    assert apparel.auto_approval_pct == 50.0 and footwear.auto_approval_pct == 100.0
    assert apparel.restock_accuracy_pct == 100.0 and footwear.restock_accuracy_pct == 66.67
    assert apparel.aged_backlog == 1 and footwear.aged_backlog == 0
    assert by_category["uncategorised"].exception_kinds == {"order_not_found": 1}
    by_storefront = queries.week(W47, "storefront", refund_sla=SLA, backlog_age=AGE).groups
    assert (by_storefront["uk"].returns, by_storefront["us"].returns) == (2, 2)
    assert by_storefront["us"].exception_rate_pct == 50.0


def test_an_empty_week_has_no_figures(store: Store) -> None:
    week = KpiQueries(store.engine).week(W47, None, refund_sla=SLA, backlog_age=AGE)
    assert week.groups == {}
    assert week.recon_run is None and week.webhook_missed == 0
    with pytest.raises(ValueError):
        KpiQueries(store.engine).week(W47, "colour", refund_sla=SLA, backlog_age=AGE)
