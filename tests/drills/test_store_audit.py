"""The drills' store audit names each way a trail can be wrong, and passes a sound one."""

from __future__ import annotations

from pathlib import Path

from adapters.store import Store
from tests.drills.store_audit import store_findings
from tests.store.test_store import transition


def test_a_sound_trail_passes_and_each_fault_is_named(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = Store.from_url(url)
    store.create_all()
    for seq, state in enumerate(("requested", "authorized", "closed"), start=1):
        store.record_transition(transition(seq, state, return_id="r-sound"))
    assert store_findings(url, 1) == []

    store.record_transition(transition(1, "requested", return_id="r-gap"))
    store.record_transition(transition(3, "closed", return_id="r-gap"))  # seq 2 lost
    store.record_transition(transition(1, "requested", return_id="r-open"))
    store.close()

    assert sorted(store_findings(url, 3)) == [
        "r-gap: audit seqs [1, 3]",
        "r-open: projected requested, audit ends requested",
    ]
    assert store_findings(url, 4)[0] == "store holds 3 returns, expected 4"
