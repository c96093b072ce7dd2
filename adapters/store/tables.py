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


TABLES = [
    ReturnRow.__table__,  # type: ignore[attr-defined]
    AuditEventRow.__table__,  # type: ignore[attr-defined]
    ExceptionRow.__table__,  # type: ignore[attr-defined]
    SkuMappingRow.__table__,  # type: ignore[attr-defined]
    WebhookRow.__table__,  # type: ignore[attr-defined]
]
