"""The ERP status sweep's ledger on both stores: which returns it watches, page by page, and
that a signal is remembered once per return and kind."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.store import Store
from adapters.store.erp_signals import ErpSignalLedger
from workflows.erp_sweep import WATCHED_STATES

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def seed(store: Store) -> None:
    rows = [
        ("r1", "netsuite", "authorized"),
        ("r2", "netsuite", "validated"),  # no RA yet
        ("r3", "netsuite", "received"),
        ("r4", "khaos", "received"),  # another ERP's
        ("r5", "netsuite", "closed"),  # ended
        ("r6", "netsuite", "cancelled"),
        ("r7", "netsuite", "exchanged"),
        ("r8", "netsuite", "credited"),
    ]
    for rid, system, state in rows:
        store.upsert_return(rid, erp_system=system, state=state, created_at=NOW)


def test_watched_returns_are_in_flight_with_an_ra_and_page_in_id_order(store: Store) -> None:
    seed(store)
    ledger = ErpSignalLedger(store)
    pages, after = [], ""
    while page := ledger.watched("netsuite", WATCHED_STATES, after, 2):
        pages.append(page)
        after = page[-1]
    assert pages == [["r1", "r3"], ["r7", "r8"]]
    assert ledger.watched("khaos", WATCHED_STATES, "", 10) == ["r4"]
    assert "requested" not in WATCHED_STATES and "closed" not in WATCHED_STATES


def test_a_signal_is_remembered_once_per_return_and_kind(store: Store) -> None:
    ledger = ErpSignalLedger(store)
    ledger.signalled("r1", "review", "ra-1", "B", NOW)
    ledger.signalled("r1", "review", "ra-1", "B", NOW)  # an activity retried: still one
    ledger.signalled("r1", "ra_closed", "ra-1", "H", NOW)
    ledger.signalled("r3", "ra_closed", "ra-3", "C", NOW)
    assert ledger.already(["r1", "r2"]) == {("r1", "review"), ("r1", "ra_closed")}
    assert ledger.already([]) == set()
    ledger.forget("r1", "review")  # the box was unticked: a later tick is signalled again
    assert ledger.already(["r1"]) == {("r1", "ra_closed")}
