"""Cases only the store holds (reconciliation findings, switched-off webhook subscriptions)
are resolved in the store, under the same rules the workflow's validator applies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.store import Store
from workers.ops import STORE_ONLY_GATES, resolve_in_store
from workflows.exceptions import ExceptionKind, ExceptionStatus, open_case

AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def test_a_reconciliation_case_is_resolved_in_the_store(store: Store) -> None:
    case = open_case(
        ExceptionKind.ORPHANED_RETURN, "1690", 0, AT, "reconciliation", {"run_id": "r1"}, False
    ).model_copy(update={"id": "1690-recon-orphaned_return"})
    assert case.gate in STORE_ONLY_GATES
    store.upsert_exception(case)

    with pytest.raises(ValueError, match="resolved by one of"):
        resolve_in_store(store, case, "ops@test", "accept_erp_amount")
    with pytest.raises(ValueError, match="actor identity"):
        resolve_in_store(store, case, " ", "mark_done")
    assert store.get_exception(case.id).status is ExceptionStatus.OPEN  # type: ignore[union-attr]

    resolve_in_store(store, case, "ops@test", "mark_done", note="RA keyed by hand")
    stored = store.get_exception(case.id)
    assert stored is not None
    assert (stored.status, stored.resolved_by, stored.resolution) == (
        ExceptionStatus.RESOLVED,
        "ops@test",
        "mark_done",
    )
    assert stored.resolution_detail == {"note": "RA keyed by hand"}
    assert [c.id for c in store.list_exceptions(return_id="1690")] == []  # the open queue
    with pytest.raises(ValueError, match="already resolved"):
        resolve_in_store(store, stored, "ops@test", "mark_done")
