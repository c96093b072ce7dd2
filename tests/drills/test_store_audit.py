"""The drills' store audit names each way a trail can be wrong, and passes a sound one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from adapters.store import Store
from tests.drills.store_audit import store_findings
from workflows.model import Transition

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def move(return_id: str, seq: int, to_state: str) -> Transition:
    return Transition(
        return_id=return_id,
        seq=seq,
        event=f"to_{to_state}",
        from_state="x",
        to_state=to_state,
        actor="system",
        at=T0,
        detail={},
    )


def test_a_sound_trail_passes_and_each_fault_is_named(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = Store.from_url(url)
    store.create_all()
    for seq, state in enumerate(("requested", "authorized", "closed"), start=1):
        store.record_transition(move("r-sound", seq, state))
    assert store_findings(url, 1) == []

    store.record_transition(move("r-gap", 1, "requested"))
    store.record_transition(move("r-gap", 3, "closed"))  # seq 2 lost
    store.record_transition(move("r-open", 1, "requested"))
    store.close()

    assert sorted(store_findings(url, 3)) == [
        "r-gap: audit seqs [1, 3]",
        "r-open: projected requested, audit ends requested",
    ]
    assert store_findings(url, 4)[0] == "store holds 3 returns, expected 4"
