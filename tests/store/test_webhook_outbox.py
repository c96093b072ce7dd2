"""The ingress's outbox on both stores: replicas claim disjoint events, a dead forwarder's claims
are taken over after the lease, a failed hand-over is given back, a forwarded one is done."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from adapters.store import Store
from adapters.store.webhook_outbox import WebhookOutbox

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def queue(store: Store, n: int) -> list[str]:
    ids = [f"d{k:03d}" for k in range(n)]
    for k, delivery in enumerate(ids):
        store.record_webhook(
            delivery,
            received_at=T0 + timedelta(milliseconds=k),
            body=b"{}",
            status_code=202,
            accepted=True,
            signature_ok=True,
            return_id=f"r{k}",
            event={"topic": "return", "return_id": f"r{k}", "n": k},
        )
    store.record_webhook(  # acked after Temporal took it: nothing to forward
        "direct", received_at=T0, body=b"{}", status_code=202, accepted=True, signature_ok=True
    )
    return ids


def test_replicas_claim_disjoint_events_oldest_first(store: Store) -> None:
    ids = queue(store, 30)
    outbox = WebhookOutbox(store)
    first = outbox.claim("a", 10, T0, LEASE)
    assert [i for i, _ in first] == ids[:10] and first[0][1]["n"] == 0
    second = outbox.claim("b", 100, T0, LEASE)
    assert [i for i, _ in second] == ids[10:]
    assert outbox.claim("c", 100, T0, LEASE) == []  # all held, none expired
    assert outbox.backlog() == (30, T0)


def test_concurrent_claims_never_overlap(store: Store) -> None:
    queue(store, 60)
    outbox = WebhookOutbox(store)
    got: dict[str, list[str]] = {}

    def claim_all(owner: str) -> None:
        mine: list[str] = []
        while batch := outbox.claim(owner, 5, T0, LEASE):
            mine += [i for i, _ in batch]
        got[owner] = mine

    threads = [threading.Thread(target=claim_all, args=(f"w{k}",)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [i for mine in got.values() for i in mine]
    assert len(claimed) == len(set(claimed)) == 60


def test_expired_claims_are_taken_over_and_released_ones_retried(store: Store) -> None:
    ids = queue(store, 3)
    outbox = WebhookOutbox(store)
    outbox.claim("dead", 2, T0, LEASE)
    later = T0 + LEASE + timedelta(seconds=1)
    assert [i for i, _ in outbox.claim("alive", 10, later, LEASE)] == ids  # 2 taken over + 1
    outbox.release(ids[:1])  # its hand-over failed
    assert [i for i, _ in outbox.claim("alive", 10, later, LEASE)] == ids[:1]
    outbox.forwarded(ids[0], later)
    outbox.forwarded(ids[1], later, note="return already finished; event recorded only")
    assert outbox.backlog() == (1, T0 + timedelta(milliseconds=2))
    row = store.get_webhook(ids[1])
    assert row is not None and row.error == "return already finished; event recorded only"


def test_a_rounds_hand_overs_are_marked_in_one_write(store: Store) -> None:
    ids = queue(store, 4)
    outbox = WebhookOutbox(store)
    note = "unreadable queued event, not forwarded: 1 errors"
    outbox.forwarded_many([(ids[0], None), (ids[1], note), (ids[2], None)], T0)
    assert outbox.backlog() == (1, T0 + timedelta(milliseconds=3))  # only ids[3] waits
    rows = {i: store.get_webhook(i) for i in ids}
    assert [r.forwarded_at is not None for r in rows.values() if r] == [True, True, True, False]
    assert [r.error for r in rows.values() if r] == [None, note, None, None]
