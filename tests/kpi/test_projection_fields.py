"""The inventory-outcome fields the workflow projects reach the store, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.store import Store
from workflows.contracts import ReturnProjection
from workflows.model import Transition

AT = datetime(2026, 11, 18, 10, tzinfo=UTC)


def test_disposition_outcome_is_written_with_the_transition(store: Store) -> None:
    projection = ReturnProjection(
        state="inspected",
        blocked=False,
        created_at=AT - timedelta(days=3),
        updated_at=AT,
        units_received=3,
        units_restocked=1,
        units_refurbished=1,
        units_scrapped=1,
        units_returned_to_vendor=0,
        disposed_at=AT,
        refund_path="store_credit",
        sync_direction="erp-first",
    )
    transition = Transition(
        return_id="r-9",
        seq=4,
        event="inspect",
        from_state="received",
        to_state="inspected",
        actor="warehouse@test",
        at=AT,
    )
    store.record_transition(transition, projection.model_dump(exclude_unset=True))
    row = store.get_return("r-9")
    assert row is not None
    assert (row.units_received, row.units_restocked, row.units_refurbished) == (3, 1, 1)
    assert (row.units_scrapped, row.units_returned_to_vendor) == (1, 0)
    assert (row.disposed_at, row.refund_path, row.sync_direction) == (
        AT,
        "store_credit",
        "erp-first",
    )
