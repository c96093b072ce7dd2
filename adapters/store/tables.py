"""The projection's tables: what ops and finance query across returns.

The workflow is the source of truth for one return; these rows are a copy written by retried
local activities, so every table has a natural key that makes a repeated write a no-op or an
upsert. Enum-like values (state, kind, owner...) are plain strings so that adding a state or an
exception kind never needs a migration, and strings carry no length limit (PostgreSQL would
enforce one where SQLite would not, so a long outside id must not fail on one backend only).

Indexes follow the queries: the exception queue (status, owner or kind, age), returns by state,
storefront, created or closed time for the KPI scorecard and reconciliation, audit rows per
return and by event or actor over time, webhook deliveries by time, outcome, return and digest.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from adapters.store.types import JsonDoc, Money4, UTCDateTime

WEBHOOK_BODY_LIMIT = 64 * 1024  # bytes of raw body kept; the rest is cut and flagged


class ReturnRow(SQLModel, table=True):
    """One return as ops see it: its state, money figures and milestone times.

    `updated_at` is the event time of the newest write applied (null until a timed write), and
    `last_seq` the audit seq that produced it; together they stop an older, retried write from
    moving the projection backwards (several transitions share one workflow timestamp).
    """

    __tablename__ = "returns"
    __table_args__ = (
        Index("ix_returns_state_updated", "state", "updated_at"),
        Index("ix_returns_storefront_created", "storefront", "created_at"),
        Index("ix_returns_created", "created_at"),
        Index("ix_returns_closed", "closed_at"),
        # the KPI scorecard's week filters (cycle time, refund SLA, restock accuracy)
        Index("ix_returns_disposed", "disposed_at"),
        Index("ix_returns_refunded", "refunded_at"),
    )

    return_id: str = Field(primary_key=True)
    storefront: str = "default"
    erp_system: str | None = None
    outcome: str | None = None
    state: str = "new"
    blocked: bool = False
    currency: str | None = None
    loop_refund_amount: Decimal | None = Field(default=None, sa_type=Money4)
    erp_refund_amount: Decimal | None = Field(default=None, sa_type=Money4)
    amount_difference: Decimal | None = Field(default=None, sa_type=Money4)
    auto_approved: bool | None = None
    decision_rule: str | None = None
    category: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_seq: int | None = None
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    inspected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    refunded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sla_breached: bool = False
    stuck_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    open_exception_count: int = 0
    units_received: int | None = None
    units_restocked: int | None = None
    units_refurbished: int | None = None
    units_scrapped: int | None = None
    units_returned_to_vendor: int | None = None
    disposed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    refund_path: str | None = None
    sync_direction: str | None = None
    customer_key: str | None = Field(default=None, index=True)  # sha256 of the email, no PII


class AuditEventRow(SQLModel, table=True):
    """One state change or exception open/resolve; (return_id, seq) makes retries no-ops."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_event_at", "event", "at"),
        Index("ix_audit_actor_at", "actor", "at"),
    )

    return_id: str = Field(primary_key=True)
    seq: int = Field(primary_key=True)
    event: str
    from_state: str
    to_state: str
    actor: str  # 'system', 'loop-webhook' or a person
    at: datetime = Field(sa_type=UTCDateTime)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDoc)


class ExceptionRow(SQLModel, table=True):
    """An exception case; the id is deterministic (derived from the return), so upserts."""

    __tablename__ = "exceptions"
    __table_args__ = (
        Index("ix_exceptions_status_owner_opened", "status", "owner", "opened_at"),
        Index("ix_exceptions_status_kind_opened", "status", "kind", "opened_at"),
        Index("ix_exceptions_opened", "opened_at"),
        Index("ix_exceptions_return", "return_id"),
    )

    id: str = Field(primary_key=True)
    return_id: str
    kind: str
    owner: str
    severity: str
    status: str
    gate: str
    blocking: bool = True  # False for SLA-timer cases: the gate may still pass on its own
    opened_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    escalation_level: int = 0
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: str | None = None
    resolution: str | None = None
    evidence: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDoc)
    resolution_detail: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDoc)


class SkuMappingRow(SQLModel, table=True):
    """A Loop SKU -> ERP item id saved by a person who resolved a SKU mismatch."""

    __tablename__ = "sku_mappings"

    erp_system: str = Field(primary_key=True)
    sku: str = Field(primary_key=True)
    erp_item_id: str
    saved_by: str
    saved_at: datetime = Field(sa_type=UTCDateTime)
    note: str | None = Field(default=None, sa_type=Text)


class WebhookRow(SQLModel, table=True):
    """Every delivery, refused and malformed ones included, so nothing is lost.

    `body` holds the raw body as text (invalid UTF-8 and NUL bytes escaped), cut at
    WEBHOOK_BODY_LIMIT bytes with `truncated` set; `body_bytes` is the size received and
    `digest` the sha256 of the whole body.
    """

    __tablename__ = "webhooks"
    __table_args__ = (
        Index("ix_webhooks_received", "received_at"),
        Index("ix_webhooks_accepted_received", "accepted", "received_at"),
        Index("ix_webhooks_return", "return_id"),
        Index("ix_webhooks_digest", "digest"),
        Index("ix_webhooks_outbox", "forwarded_at", "received_at"),
    )

    id: str = Field(primary_key=True)
    received_at: datetime = Field(sa_type=UTCDateTime)
    topic: str | None = None
    trigger: str | None = None
    return_id: str | None = None
    digest: str
    signature_ok: bool = False
    accepted: bool = False
    status_code: int
    error: str | None = Field(default=None, sa_type=Text)
    body: str = Field(default="", sa_type=Text)
    body_bytes: int = 0
    truncated: bool = False
    # acknowledged from the store (RETURNFLOW_INGRESS_ACK=store): the parsed event waits here
    # until the forwarder has handed it to Temporal, then forwarded_at is set
    event: dict[str, Any] | None = Field(default=None, sa_type=JsonDoc)
    forwarded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # the forwarder (one per ingress process) handing it over now, so replicas share the work;
    # a claim older than the lease is taken over (its process died mid-way)
    claimed_by: str | None = None
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SweepRunRow(SQLModel, table=True):
    """One catch-up sweep: the window it listed and what webhooks had missed in it.

    The newest finished run's `until` is the next sweep's high-water mark.
    """

    __tablename__ = "sweep_runs"
    __table_args__ = (Index("ix_sweep_runs_finished", "finished_at"),)

    id: str = Field(primary_key=True)
    since: datetime = Field(sa_type=UTCDateTime)
    until: datetime = Field(sa_type=UTCDateTime)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    listed: int = 0
    signalled: int = 0
    missed: int = 0  # returns webhooks never told us about in their current state
    inactive_subscriptions: int = 0


class SweepSignalRow(SQLModel, table=True):
    """The last state the sweep handed to a return's workflow, so overlaps count once."""

    __tablename__ = "sweep_signals"
    __table_args__ = (Index("ix_sweep_signals_at", "signalled_at"),)

    return_id: str = Field(primary_key=True)
    digest: str
    loop_updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    signalled_at: datetime = Field(sa_type=UTCDateTime)


class ErpSignalRow(SQLModel, table=True):
    """What the ERP status sweep last told a return's workflow, one row per kind of event, so
    a status read again on the next sweep is not signalled again."""

    __tablename__ = "erp_signals"

    return_id: str = Field(primary_key=True)
    kind: str = Field(primary_key=True)  # ra_closed | review
    document_id: str
    erp_status: str
    signalled_at: datetime = Field(sa_type=UTCDateTime)


class ReconciliationRunRow(SQLModel, table=True):
    """One reconciliation of a period: progress while it runs, totals and deltas after."""

    __tablename__ = "reconciliation_runs"
    __table_args__ = (Index("ix_reconciliation_runs_end", "period_end", "finished_at"),)

    id: str = Field(primary_key=True)
    period_start: datetime = Field(sa_type=UTCDateTime)
    period_end: datetime = Field(sa_type=UTCDateTime)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    windows_total: int = 0
    windows_done: int = 0
    loop_count: int = 0
    erp_count: int = 0
    count_delta: int = 0
    amount_delta: Decimal = Field(default=Decimal("0"), sa_type=Money4)  # sum of |per return|
    totals: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDoc)
    finding_counts: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDoc)


class ReconciliationFindingRow(SQLModel, table=True):
    """One mismatch a run found; (run_id, id) makes a re-run of a step a no-op."""

    __tablename__ = "reconciliation_findings"
    __table_args__ = (Index("ix_reconciliation_findings_kind", "run_id", "kind"),)

    run_id: str = Field(primary_key=True)
    id: str = Field(primary_key=True)
    kind: str
    return_id: str
    erp_document_id: str | None = None
    storefront: str | None = None
    currency: str | None = None
    loop_amount: Decimal | None = Field(default=None, sa_type=Money4)
    erp_amount: Decimal | None = Field(default=None, sa_type=Money4)
    exception_id: str | None = None


class ReconciliationItemRow(SQLModel, table=True):
    """A staged record from Loop or the ERP for one run, so matching is SQL, not memory.

    `source` is 'loop' or the ERP document kind; `key` the Loop return id or the ERP doc id.
    """

    __tablename__ = "reconciliation_items"
    __table_args__ = (Index("ix_reconciliation_items_return", "run_id", "return_id", "source"),)

    run_id: str = Field(primary_key=True)
    source: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    return_id: str | None = None
    state: str | None = None
    storefront: str | None = None
    currency: str | None = None
    amount: Decimal | None = Field(default=None, sa_type=Money4)
    refunded: Decimal | None = Field(default=None, sa_type=Money4)
    at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


TABLES = [
    ReturnRow.__table__,  # type: ignore[attr-defined]
    AuditEventRow.__table__,  # type: ignore[attr-defined]
    ExceptionRow.__table__,  # type: ignore[attr-defined]
    SkuMappingRow.__table__,  # type: ignore[attr-defined]
    WebhookRow.__table__,  # type: ignore[attr-defined]
    SweepRunRow.__table__,  # type: ignore[attr-defined]
    SweepSignalRow.__table__,  # type: ignore[attr-defined]
    ErpSignalRow.__table__,  # type: ignore[attr-defined]
    ReconciliationRunRow.__table__,  # type: ignore[attr-defined]
    ReconciliationFindingRow.__table__,  # type: ignore[attr-defined]
    ReconciliationItemRow.__table__,  # type: ignore[attr-defined]
]
