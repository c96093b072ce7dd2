"""The projection store on both backends: retried writes are no-ops, older writes never win,
money and time come back exactly as written, and nothing delivered is lost."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.exc import StatementError
from sqlmodel import SQLModel

from adapters.store import Store
from adapters.store.tables import WEBHOOK_BODY_LIMIT, AuditEventRow, ExceptionRow
from workflows.exceptions import (
    ExceptionCase,
    ExceptionKind,
    ExceptionStatus,
    OwnerTeam,
    open_case,
)
from workflows.model import Transition

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def transition(
    seq: int,
    to_state: str,
    *,
    at: datetime = T0,
    actor: str = "system",
    return_id: str = "r-1",
    **detail: object,
) -> Transition:
    return Transition(
        return_id=return_id,
        seq=seq,
        event=f"to_{to_state}",
        from_state="x",
        to_state=to_state,
        actor=actor,
        at=at,
        detail=detail,
    )


def count(store: Store, table: type[AuditEventRow] | type[ExceptionRow]) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


# --- audit trail and projection --------------------------------------------------------------


def test_same_transition_twice_is_one_row(store: Store) -> None:
    t = transition(1, "validating")
    assert store.record_transition(t, {"storefront": "uk"}) is True
    assert store.record_transition(t, {"storefront": "uk"}) is False
    assert count(store, AuditEventRow) == 1
    assert store.audit_trail("r-1") == [t]
    row = store.get_return("r-1")
    assert row is not None
    assert (row.state, row.storefront, row.created_at, row.last_seq) == ("validating", "uk", T0, 1)


def test_audit_trail_in_seq_order_with_actors(store: Store) -> None:
    written = [
        transition(
            3,
            "approved",
            at=T0 + timedelta(hours=3),
            actor="alice@example.com",
            amount=Decimal("12.50"),
            note="checked photos",
        ),
        transition(1, "authorized", at=T0, actor="system"),
        transition(2, "received", at=T0 + timedelta(hours=1), actor="loop-webhook"),
        transition(1, "other", return_id="r-2"),
    ]
    for t in written:
        store.record_transition(t)
    trail = store.audit_trail("r-1")
    assert [t.seq for t in trail] == [1, 2, 3]
    assert [t.actor for t in trail] == ["system", "loop-webhook", "alice@example.com"]
    # detail is stored as JSON: Decimal travels as its string, like the pydantic converter does
    assert trail[2].detail == {"amount": "12.50", "note": "checked photos"}
    assert trail[2].at == T0 + timedelta(hours=3)
    assert store.audit_trail("nope") == []


def test_projection_never_moves_backwards(store: Store) -> None:
    store.record_transition(
        transition(2, "received", at=T0 + timedelta(hours=2)),
        {"received_at": T0 + timedelta(hours=2)},
    )
    # a retried write of an older transition arrives late: audit row added, projection kept
    assert store.record_transition(transition(1, "authorized", at=T0), {"received_at": None})
    row = store.get_return("r-1")
    assert row is not None
    assert (row.state, row.updated_at, row.received_at) == (
        "received",
        T0 + timedelta(hours=2),
        T0 + timedelta(hours=2),
    )
    # one workflow task stamps several transitions with the same time: seq breaks the tie
    same = T0 + timedelta(hours=5)
    store.record_transition(transition(4, "refunded", at=same))
    store.record_transition(transition(3, "approved", at=same))
    row = store.get_return("r-1")
    assert row is not None
    assert (row.state, row.last_seq, row.updated_at) == ("refunded", 4, same)
    # an untimed write (a flag) always applies and leaves updated_at alone
    store.upsert_return("r-1", blocked=True, sla_breached=True)
    row = store.get_return("r-1")
    assert row is not None
    assert (row.blocked, row.sla_breached, row.updated_at) == (True, True, same)
    # None clears what may be null and leaves NOT NULL columns as they were
    store.upsert_return("r-1", stuck_since=same, closed_at=same)
    store.upsert_return("r-1", stuck_since=None, created_at=None, state=None, updated_at=None)
    row = store.get_return("r-1")
    assert row is not None
    # created_at was never given: the first write's event time stands in
    created = T0 + timedelta(hours=2)
    assert (row.stuck_since, row.closed_at, row.created_at, row.state) == (
        None,
        same,
        created,
        "refunded",
    )
    assert len(store.audit_trail("r-1")) == 4


def test_upsert_return_fields_and_listing(store: Store) -> None:
    store.upsert_return(
        "r-a",
        storefront="uk",
        state="received",
        created_at=T0,
        outcome="refund",
        currency="GBP",
        category="shoes",
        auto_approved=True,
        decision_rule="below_threshold",
        erp_system="netsuite",
    )
    store.upsert_return("r-b", storefront="us", state="received", created_at=T0 + timedelta(days=1))
    store.upsert_return(
        "r-c",
        storefront="uk",
        state="closed",
        created_at=T0 + timedelta(days=2),
        closed_at=T0 + timedelta(days=3),
    )
    row = store.get_return("r-a")
    assert row is not None
    assert (row.category, row.auto_approved, row.currency, row.open_exception_count) == (
        "shoes",
        True,
        "GBP",
        0,
    )
    assert store.get_return("missing") is None
    assert [r.return_id for r in store.list_returns()] == ["r-c", "r-b", "r-a"]
    assert [r.return_id for r in store.list_returns(state="received")] == ["r-b", "r-a"]
    assert [r.return_id for r in store.list_returns(storefront="uk")] == ["r-c", "r-a"]
    assert [r.return_id for r in store.list_returns(state="received", storefront="uk")] == ["r-a"]
    assert len(store.list_returns(limit=1)) == 1
    with pytest.raises(ValueError, match="not ReturnRow columns"):
        store.upsert_return("r-a", colour="red")


# --- exceptions ------------------------------------------------------------------------------


def case(
    kind: ExceptionKind, seq: int, opened_at: datetime, return_id: str = "r-1", **evidence: object
) -> ExceptionCase:
    return open_case(kind, return_id, seq, opened_at, gate="validation", evidence=evidence)


def test_exception_upsert_is_idempotent_and_newer_fields_win(store: Store) -> None:
    store.upsert_return("r-1", created_at=T0)
    first = case(ExceptionKind.AMOUNT_MISMATCH, 5, T0, loop="10.00", erp=Decimal("9.50"))
    store.upsert_exception(first)
    store.upsert_exception(first)
    assert count(store, ExceptionRow) == 1
    assert store.get_exception(first.id) == first.model_copy(
        update={"evidence": {"loop": "10.00", "erp": "9.50"}}
    )
    row = store.get_return("r-1")
    assert row is not None and row.open_exception_count == 1

    escalated = first.model_copy(update={"escalation_level": 2, "evidence": {"loop": "10.00"}})
    store.upsert_exception(escalated)
    store.upsert_exception(first)  # a late retry of the opening write: ignored
    assert store.get_exception(first.id) == escalated

    resolved = escalated.model_copy(
        update={
            "status": ExceptionStatus.RESOLVED,
            "resolved_at": T0 + timedelta(hours=3),
            "resolved_by": "bob@example.com",
            "resolution": "accept_erp_amount",
            "resolution_detail": {"amount": "9.50"},
        }
    )
    store.upsert_exception(resolved)
    store.upsert_exception(escalated)  # a resolved case is never reopened by a retry
    assert store.get_exception(first.id) == resolved
    assert count(store, ExceptionRow) == 1
    row = store.get_return("r-1")
    assert row is not None and row.open_exception_count == 0
    assert store.get_exception("nope") is None


def test_json_columns_take_what_a_malformed_payload_carries(store: Store) -> None:
    """NUL cannot live in PostgreSQL jsonb; Decimal and datetime are not JSON: all still land."""
    odd = case(ExceptionKind.UNMAPPED_CODE, 1, T0, raw="a\x00b", at=T0, amount=Decimal("1.10"))
    store.upsert_exception(odd)
    got = store.get_exception(odd.id)
    assert got is not None
    assert got.evidence == {"raw": "a\\x00b", "at": "2025-03-01T09:00:00Z", "amount": "1.10"}


def test_exception_queue_filters(store: Store) -> None:
    now = T0 + timedelta(days=10)
    cases = [
        case(ExceptionKind.AMOUNT_MISMATCH, 1, now - timedelta(days=5), "r-1"),
        case(ExceptionKind.APPROVAL_OVERDUE, 2, now - timedelta(days=1), "r-1"),
        case(ExceptionKind.SKU_MISMATCH, 1, now - timedelta(days=4), "r-2"),
        case(ExceptionKind.AMOUNT_MISMATCH, 1, now - timedelta(days=3), "r-3"),
    ]
    resolved = case(ExceptionKind.GL_POSTING_FAILED, 2, now - timedelta(days=8), "r-3").model_copy(
        update={
            "status": ExceptionStatus.RESOLVED,
            "resolved_by": "bob",
            "resolution": "retry",
            "resolved_at": now - timedelta(days=7),
        }
    )
    for c in [*cases, resolved]:
        store.upsert_exception(c)

    def ids(**filters: object) -> list[str]:
        return [c.id for c in store.list_exceptions(**filters)]  # type: ignore[arg-type]

    # open by default, oldest first
    assert ids() == ["r-1-x1", "r-2-x1", "r-3-x1", "r-1-x2"]
    assert ids(owner=OwnerTeam.FINANCE) == ["r-1-x1", "r-3-x1", "r-1-x2"]
    assert ids(owner="ops") == ["r-2-x1"]
    assert ids(kind=ExceptionKind.AMOUNT_MISMATCH) == ["r-1-x1", "r-3-x1"]
    # `returnflow exceptions list --owner finance --older-than 3d`: exactly 3 days old counts
    assert ids(owner="finance", older_than=timedelta(days=3), now=now) == ["r-1-x1", "r-3-x1"]
    assert ids(older_than=timedelta(days=4, seconds=1), now=now) == ["r-1-x1"]
    assert ids(status=ExceptionStatus.RESOLVED) == ["r-3-x2"]
    assert ids(status=None, return_id="r-3") == ["r-3-x2", "r-3-x1"]
    assert ids(limit=2) == ["r-1-x1", "r-2-x1"]
    found = store.list_exceptions(kind="sku_mismatch")
    assert found == [cases[2]] and found[0].owner is OwnerTeam.OPS


# --- money and time --------------------------------------------------------------------------

# SQLite keeps NUMERIC as a double: exact to 15 significant digits, i.e. |amount| < 10^11.
BOUND = Decimal("99999999999.9999")
amounts = st.integers(min_value=2, max_value=4).flatmap(
    lambda places: st.decimals(
        min_value=-BOUND, max_value=BOUND, places=places, allow_nan=False, allow_infinity=False
    )
)


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(loop=amounts, erp=amounts)
def test_money_round_trips_exactly(store: Store, loop: Decimal, erp: Decimal) -> None:
    store.upsert_return(
        "r-money",
        created_at=T0,
        currency="EUR",
        loop_refund_amount=loop,
        erp_refund_amount=erp,
        amount_difference=loop - erp,
    )
    row = store.get_return("r-money")
    assert row is not None
    for got, want in [
        (row.loop_refund_amount, loop),
        (row.erp_refund_amount, erp),
        (row.amount_difference, loop - erp),
    ]:
        assert isinstance(got, Decimal) and got == want


def test_money_rounds_half_even_to_four_places_on_both_backends(store: Store) -> None:
    store.upsert_return(
        "r-1",
        created_at=T0,
        loop_refund_amount=Decimal("1.00005"),
        erp_refund_amount=Decimal("1.00015"),
        amount_difference=None,
    )
    row = store.get_return("r-1")
    assert row is not None
    assert (row.loop_refund_amount, row.erp_refund_amount, row.amount_difference) == (
        Decimal("1.0000"),
        Decimal("1.0002"),
        None,
    )


def test_datetimes_round_trip_tz_aware_utc(store: Store) -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    local = datetime(2025, 6, 30, 23, 59, 59, 123456, tzinfo=india)
    store.upsert_return("r-1", created_at=local, closed_at=local + timedelta(microseconds=1))
    row = store.get_return("r-1")
    assert row is not None
    assert row.created_at == local and row.created_at.tzinfo is UTC
    assert row.closed_at == local + timedelta(microseconds=1)
    assert row.closed_at is not None and row.closed_at.utcoffset() == timedelta(0)
    with pytest.raises(StatementError, match="naive datetime"):
        store.upsert_return("r-2", created_at=datetime(2025, 1, 1))


# --- SKU mappings ----------------------------------------------------------------------------


def test_sku_mappings_are_per_erp_system(store: Store) -> None:
    store.save_sku_mapping("netsuite", "SKU-1", "ns-100", "alice", note="renamed variant")
    store.save_sku_mapping("netsuite", "SKU-2", "ns-200", "alice")
    store.save_sku_mapping("khaos", "SKU-1", "KC-1", "bob")
    store.save_sku_mapping("netsuite", "SKU-1", "ns-101", "carol")  # a correction replaces
    assert store.sku_mappings("netsuite") == {"SKU-1": "ns-101", "SKU-2": "ns-200"}
    assert store.sku_mappings("khaos") == {"SKU-1": "KC-1"}
    assert store.sku_mappings("prima") == {}


# --- webhook log -----------------------------------------------------------------------------


def test_webhook_log_keeps_every_delivery(store: Store) -> None:
    good = b'{"topic": "return", "trigger": "return.created", "id": "123"}'
    store.record_webhook(
        "d-1",
        received_at=T0,
        body=good,
        status_code=200,
        accepted=True,
        signature_ok=True,
        topic="return",
        trigger="return.created",
        return_id="123",
    )
    store.record_webhook(
        "d-1",
        received_at=T0,
        body=good,
        status_code=200,
        accepted=True,
        signature_ok=True,
        topic="return",
        trigger="return.created",
        return_id="123",
    )  # retried write of the same delivery
    malformed = b'{"topic": "ret\xff\xfe\x00'
    store.record_webhook(
        "d-2",
        received_at=T0 + timedelta(seconds=1),
        body=malformed,
        status_code=400,
        accepted=False,
        signature_ok=True,
        error="invalid JSON",
    )
    store.record_webhook(
        "d-3",
        received_at=T0 + timedelta(seconds=2),
        body="forged",
        status_code=401,
        accepted=False,
        signature_ok=False,
        error="bad signature",
    )

    assert [w.id for w in store.list_webhooks()] == ["d-3", "d-2", "d-1"]
    assert [w.id for w in store.list_webhooks(accepted=False)] == ["d-3", "d-2"]
    assert [w.id for w in store.list_webhooks(accepted=True)] == ["d-1"]
    assert [w.id for w in store.list_webhooks(return_id="123")] == ["d-1"]
    d1 = store.get_webhook("d-1")
    assert d1 is not None
    assert (d1.body, d1.digest, d1.truncated, d1.received_at) == (
        good.decode(),
        hashlib.sha256(good).hexdigest(),
        False,
        T0,
    )
    d2 = store.get_webhook("d-2")
    assert d2 is not None
    assert d2.body == '{"topic": "ret\\xff\\xfe\\x00' and d2.body_bytes == len(malformed)
    assert d2.digest == hashlib.sha256(malformed).hexdigest() and d2.error == "invalid JSON"


def test_webhook_body_is_capped_and_flagged(store: Store) -> None:
    # a 3-byte character straddles the limit: it is dropped, not half-kept
    body = b"a" * (WEBHOOK_BODY_LIMIT - 1) + "€".encode() + b"b" * 10_000
    store.record_webhook(
        "big",
        received_at=T0,
        body=body,
        status_code=413,
        accepted=False,
        signature_ok=True,
        error="too large",
    )
    row = store.get_webhook("big")
    assert row is not None
    assert row.truncated is True and row.body_bytes == len(body)
    assert row.body == "a" * (WEBHOOK_BODY_LIMIT - 1)
    assert row.digest == hashlib.sha256(body).hexdigest()


# --- wiring ----------------------------------------------------------------------------------


def test_sqlite_file_shared_by_two_processes_worth_of_stores(tmp_path: Path) -> None:
    """Ingress and worker each open the file: WAL and busy_timeout let both write at once."""
    db = tmp_path / "nested" / "dir" / "returnflow.db"
    ingress, worker = Store.from_url(f"sqlite:///{db}"), Store.from_url(f"sqlite:///{db}")
    ingress.create_all()
    worker.create_all()

    def webhooks() -> None:
        for i in range(40):
            ingress.record_webhook(
                f"d-{i}",
                received_at=T0,
                body=b"{}",
                status_code=200,
                accepted=True,
                signature_ok=True,
            )

    def transitions() -> None:
        for i in range(40):
            worker.record_transition(transition(i, f"s{i}", at=T0 + timedelta(seconds=i)))

    threads = [threading.Thread(target=webhooks), threading.Thread(target=transitions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ingress.list_webhooks(limit=100)) == 40
    assert len(ingress.audit_trail("r-1")) == 40
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    ingress.close()
    worker.close()


def test_postgres_urls_use_psycopg() -> None:
    for url in ("postgresql://u@db/returnflow", "postgres://u@db/returnflow"):
        assert Store.from_url(url).engine.dialect.driver == "psycopg"  # no connection made


def test_every_model_field_has_a_column() -> None:
    """A field added to ExceptionCase or Transition must get a column, not break writes."""
    pairs: list[tuple[type[BaseModel], type[SQLModel]]] = [
        (ExceptionCase, ExceptionRow),
        (Transition, AuditEventRow),
    ]
    for model, row in pairs:
        columns = {c.name for c in row.__table__.columns}  # type: ignore[attr-defined]
        assert set(model.model_fields) <= columns, model.__name__
