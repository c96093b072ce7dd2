"""A week of known returns (ISO week 2026-W47) whose every KPI is worked out by hand.

current week S = Mon 2026-11-16 00:00 UTC, E = S + 7 days; previous week starts S - 7 days.

| id | cat.     | shop | created | received | refunded | auto | disposed | units     | end |
|----|----------|----|-------|------|---------|-----|------|-----------|-------------|
| r1 | apparel  | uk | S-2d  | S+1d | S+1d10h | yes | S+2d | 2/1/0/1/0 | closed S+2d |
| r2 | apparel  | uk | S     | S+1d | S+3d    | no  | S+3d | 1/1/0/0/0 | closed S+3d |
| r3 | footwear | us | S+1d  | S+2d | S+5d    | yes | S+6d | 3/0/1/0/1 | closed S+6d |
| r4 | footwear | us | S+2d  | S+3d | -       | -   | -    | -         | open (1)    |
| r5 | apparel  | uk | S-20d | -    | -       | -   | -    | -         | authorized  |
| r6 | -        | uk | S+1d  | -    | -       | -   | -    | -         | cancel. (2) |
| p1 | apparel  | uk | S-10d | S-6d | S-5d    | yes | S-5d | 1/1/0/0/0 | closed S-5d |

units: received/restocked/refurbished/scrapped/returned to vendor. (1) received, with a
sku_mismatch and an amount_mismatch case; (2) cancelled S+2d, with an order_not_found case.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from adapters.store import Store
from adapters.store.tables import ReconciliationRunRow, SweepRunRow
from workflows.exceptions import ExceptionKind, open_case

S = datetime(2026, 11, 16, tzinfo=UTC)
D, H = timedelta(days=1), timedelta(hours=1)


def _return(store: Store, return_id: str, **fields: object) -> None:
    store.upsert_return(return_id, **fields)


def seed_week(store: Store) -> None:
    units = ("units_received", "units_restocked", "units_refurbished", "units_scrapped")
    rows: list[tuple[str, dict[str, object]]] = [
        (
            "r1",
            dict(
                category="apparel",
                storefront="uk",
                created_at=S - 2 * D,
                received_at=S + D,
                refunded_at=S + D + 10 * H,
                auto_approved=True,
                disposed_at=S + 2 * D,
                closed_at=S + 2 * D,
                state="closed",
                **dict(zip(units, (2, 1, 0, 1), strict=True)),
                units_returned_to_vendor=0,
            ),
        ),
        (
            "r2",
            dict(
                category="apparel",
                storefront="uk",
                created_at=S,
                received_at=S + D,
                refunded_at=S + 3 * D,
                auto_approved=False,
                disposed_at=S + 3 * D,
                closed_at=S + 3 * D,
                state="closed",
                units_received=1,
                units_restocked=1,
            ),
        ),
        (
            "r3",
            dict(
                category="footwear",
                storefront="us",
                created_at=S + D,
                received_at=S + 2 * D,
                refunded_at=S + 5 * D,
                auto_approved=True,
                disposed_at=S + 6 * D,
                closed_at=S + 6 * D,
                state="closed",
                units_received=3,
                units_refurbished=1,
                units_returned_to_vendor=1,
            ),
        ),
        (
            "r4",
            dict(
                category="footwear",
                storefront="us",
                created_at=S + 2 * D,
                received_at=S + 3 * D,
                state="received",
            ),
        ),
        (
            "r5",
            dict(category="apparel", storefront="uk", created_at=S - 20 * D, state="authorized"),
        ),
        ("r6", dict(storefront="uk", created_at=S + D, cancelled_at=S + 2 * D, state="cancelled")),
        (
            "p1",
            dict(
                category="apparel",
                storefront="uk",
                created_at=S - 10 * D,
                received_at=S - 6 * D,
                refunded_at=S - 5 * D,
                auto_approved=True,
                disposed_at=S - 5 * D,
                closed_at=S - 5 * D,
                state="closed",
                units_received=1,
                units_restocked=1,
            ),
        ),
    ]
    for return_id, fields in rows:
        _return(store, return_id, **fields)
    for n, (return_id, kind) in enumerate(
        [
            ("r4", ExceptionKind.SKU_MISMATCH),
            ("r4", ExceptionKind.AMOUNT_MISMATCH),
            ("r6", ExceptionKind.ORDER_NOT_FOUND),
        ],
        start=1,
    ):
        store.upsert_exception(open_case(kind, return_id, n, S + 2 * D, "validation", {}))
    with store.engine.begin() as conn:
        conn.execute(
            ReconciliationRunRow.__table__.insert(),
            [  # type: ignore[attr-defined]
                dict(
                    id="recon-a",
                    period_start=S,
                    period_end=S + D,
                    started_at=S + D,
                    finished_at=S + D + H,
                    count_delta=-2,
                    amount_delta=Decimal("12.50"),
                    totals={},
                    finding_counts={},
                ),
                dict(
                    id="recon-old",
                    period_start=S - 2 * D,
                    period_end=S - D,
                    started_at=S - D,
                    finished_at=S - D + H,
                    count_delta=9,
                    amount_delta=Decimal("1"),
                    totals={},
                    finding_counts={},
                ),
            ],
        )
        conn.execute(
            SweepRunRow.__table__.insert(),
            [  # type: ignore[attr-defined]
                dict(
                    id="sw-1", since=S, until=S + H, started_at=S + H, finished_at=S + H, missed=3
                ),
                dict(
                    id="sw-2",
                    since=S - D,
                    until=S - D,
                    started_at=S - D,
                    finished_at=S - D,
                    missed=1,
                ),
            ],
        )
