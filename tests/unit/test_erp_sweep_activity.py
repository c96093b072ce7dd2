"""The ERP sweep's activity on its own: a return that ended between the projection read and the
signal is counted as finished (not an error), still written to the ledger so later sweeps stay
quiet, and an ERP that lists no RA for a return in flight names it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from temporalio.testing import ActivityEnvironment

from activities.erp_sweep import ErpSweepActivities
from adapters.store import Store
from adapters.store.erp_signals import ErpSignalLedger
from workflows.erp_sweep import ErpSweepInput
from workflows.model import ErpEvent, ErpReturnState, ErpReturnStatus

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)


class ClosedInTheErp:
    """Every RA it is asked about is closed, except those it has never heard of."""

    system = "netsuite"

    def __init__(self, unknown: set[str]) -> None:
        self.unknown = unknown
        self.asked: list[list[str]] = []

    async def return_statuses(self, return_ids: list[str]) -> dict[str, ErpReturnStatus]:
        self.asked.append(list(return_ids))
        return {
            rid: ErpReturnStatus(
                return_id=rid, document_id=f"RA{rid}", state=ErpReturnState.CLOSED, erp_status="H"
            )
            for rid in return_ids
            if rid not in self.unknown
        }


async def test_a_return_that_ended_meanwhile_is_counted_not_failed(tmp_path: Any) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path / 'sweep.db'}")
    store.create_all()
    for rid in ("r1", "r2", "r3", "r5"):
        store.upsert_return(rid, state="authorized", erp_system="netsuite", updated_at=NOW)
    store.upsert_return("r4", state="closed", erp_system="netsuite", updated_at=NOW)
    signalled: list[tuple[str, str]] = []

    async def signal(rid: str, event: ErpEvent) -> bool:
        signalled.append((rid, event.kind))
        return rid != "r2"  # r2's workflow closed after the projection was read

    erp = ClosedInTheErp(unknown={"r3"})
    acts = ErpSweepActivities(erp, store, signal)  # type: ignore[arg-type]
    inp = ErpSweepInput(sweep_id="s1", now=NOW, page=2)
    result = await ActivityEnvironment().run(acts.poll, inp)

    assert erp.asked == [["r1", "r2"], ["r3", "r5"]]  # pages of 2, closed r4 not watched
    said = [("r1", "ra_closed"), ("r2", "ra_closed"), ("r5", "ra_closed")]
    assert signalled == said
    assert (result.watched, result.read, result.closed) == (4, 3, 3)
    assert result.finished_returns == 1
    assert result.without_ra == ["r3"]
    assert ErpSignalLedger(store).already(["r1", "r2", "r3", "r5"]) == set(said)

    again = await ActivityEnvironment().run(acts.poll, ErpSweepInput(sweep_id="s2", now=NOW))
    assert signalled == said  # nothing new to say
    assert (again.closed, again.finished_returns) == (0, 0)
