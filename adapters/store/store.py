"""The projection store: one class over SQLite (embedded default) or PostgreSQL.

Writes come from Temporal local activities that may be retried, so each one is a single
transaction of idempotent statements keyed by a natural id (INSERT ... ON CONFLICT, spoken by
PostgreSQL and by SQLite >= 3.35 with RETURNING). Methods are synchronous and open a short-lived
connection each; async callers wrap them in `asyncio.to_thread`. Every write transaction starts
with a write statement, so on SQLite it takes the write lock up front and waits on
`busy_timeout` instead of failing on a read-to-write upgrade while the ingress and the worker
share the file.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    and_,
    create_engine,
    event,
    func,
    or_,
    select,
    text,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import update as sa_update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, col
from sqlmodel import select as sm_select

from adapters.store.prompt_write import write_promptly
from adapters.store.tables import (
    TABLES,
    WEBHOOK_BODY_LIMIT,
    AuditEventRow,
    ExceptionRow,
    ReturnRow,
    SkuMappingRow,
    WebhookRow,
)
from workflows.exceptions import ExceptionCase, ExceptionKind, ExceptionStatus, OwnerTeam
from workflows.model import Transition

DEFAULT_URL = "sqlite:///./.returnflow/returnflow.db"
SQLITE_BUSY_TIMEOUT_MS = 10_000

_RETURNS: Table = ReturnRow.__table__  # type: ignore[attr-defined]
_AUDIT: Table = AuditEventRow.__table__  # type: ignore[attr-defined]
_EXCEPTIONS: Table = ExceptionRow.__table__  # type: ignore[attr-defined]
_SKUS: Table = SkuMappingRow.__table__  # type: ignore[attr-defined]
_WEBHOOKS: Table = WebhookRow.__table__  # type: ignore[attr-defined]
RETURN_FIELDS = frozenset(c.name for c in _RETURNS.columns) - {"return_id"}
_CLEARABLE = frozenset(c.name for c in _RETURNS.columns if c.nullable) - {"updated_at"}


def _now() -> datetime:
    return datetime.now(UTC)


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in database
    if not in_memory and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        parsed,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        # one shared connection, or each checkout would see its own empty in-memory database
        poolclass=StaticPool if in_memory else None,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the one writer
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable enough with WAL, much faster
        cursor.close()

    return engine


def _webhook_body(body: bytes | str) -> tuple[bytes, str, bool]:
    """The raw bytes, the text kept (at most WEBHOOK_BODY_LIMIT bytes) and whether it was cut.

    Invalid UTF-8 is kept as backslash escapes rather than replaced, and NUL is escaped because
    PostgreSQL text cannot hold it: a malformed delivery must still be stored.
    """
    raw = body.encode("utf-8", errors="backslashreplace") if isinstance(body, str) else bytes(body)
    truncated = len(raw) > WEBHOOK_BODY_LIMIT
    decoder = codecs.getincrementaldecoder("utf-8")(errors="backslashreplace")
    # not final when cut: a multi-byte character split by the limit is dropped, not escaped
    text = decoder.decode(raw[:WEBHOOK_BODY_LIMIT], final=not truncated)
    return raw, text.replace("\x00", "\\x00"), truncated


def _webhook_values(delivery: Mapping[str, Any]) -> dict[str, Any]:
    """A webhook log row from `Store.record_webhook`'s arguments."""
    raw, text, truncated = _webhook_body(delivery["body"])
    values = {
        "id": delivery["id"],
        "received_at": delivery["received_at"],
        "topic": delivery.get("topic"),
        "trigger": delivery.get("trigger"),
        "return_id": delivery.get("return_id"),
        "digest": delivery.get("digest") or hashlib.sha256(raw).hexdigest(),
        "signature_ok": delivery["signature_ok"],
        "accepted": delivery["accepted"],
        "status_code": delivery["status_code"],
        "error": delivery.get("error"),
        "body": text,
        "body_bytes": len(raw),
        "truncated": truncated,
    }
    if delivery.get("event") is not None:  # absent, the column stays SQL NULL (not JSON null)
        values["event"] = delivery["event"]
    return values


def _not_older(new: Any, old: Table) -> Any:
    """A projection write applies unless the row already holds a newer one (see _upsert_return)."""
    return or_(
        new.updated_at.is_(None),
        old.c.updated_at.is_(None),
        new.updated_at > old.c.updated_at,
        and_(
            new.updated_at == old.c.updated_at,
            or_(new.last_seq.is_(None), old.c.last_seq.is_(None), new.last_seq >= old.c.last_seq),
        ),
    )


def _no_reopen(new: Any, old: Table) -> Any:
    """A retried older write never reopens a resolved case or lowers an open one's escalation."""
    open_ = ExceptionStatus.OPEN.value
    return or_(
        new.status != open_,
        and_(old.c.status == open_, new.escalation_level >= old.c.escalation_level),
    )


def _case(row: ExceptionRow) -> ExceptionCase:
    return ExceptionCase.model_validate(row.model_dump())


def _transition(row: AuditEventRow) -> Transition:
    return Transition.model_validate(row.model_dump())


class Store:
    """The projection ops and finance query across returns; the workflow stays the truth."""

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {engine.dialect.name!r}")
        self.engine = engine
        self._upserts: dict[tuple[Any, ...], Any] = {}

    @classmethod
    def from_url(cls, url: str = DEFAULT_URL) -> Store:
        """SQLite (`sqlite:///path`, parent dir created) or PostgreSQL (`postgresql+psycopg://`)."""
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            return cls(_sqlite_engine(url))
        if parsed.drivername in ("postgres", "postgresql"):
            parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is what we ship
        return cls(create_engine(parsed, pool_pre_ping=True))

    def create_all(self) -> None:
        SQLModel.metadata.create_all(self.engine, tables=TABLES)
        self._upgrade()

    def _upgrade(self) -> None:
        """Bring a store an older returnflow made up to this one's tables.

        New columns are added as nullable (rows already there have no value) and new indexes
        are created; without this, projection writes from the new code would fail on a column
        the old table lacks, and the workflow's store writes would retry forever.
        """
        found = sa_inspect(self.engine)
        with self.engine.begin() as conn:
            for table in TABLES:
                columns = {c["name"] for c in found.get_columns(table.name)}
                for column in table.columns:
                    if column.name not in columns:
                        kind = column.type.compile(dialect=self.engine.dialect)
                        conn.execute(
                            text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}')
                        )
                indexes = {i["name"] for i in found.get_indexes(table.name)}
                for index in table.indexes:
                    if index.name not in indexes:
                        index.create(conn)

    def close(self) -> None:
        self.engine.dispose()

    def _insert(self, table: Table) -> Any:
        # both dialects' Insert have on_conflict_do_update/do_nothing and .excluded
        if self.engine.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    def upsert(
        self,
        table: Table,
        conflict: tuple[str, ...],
        update: Iterable[str] = (),
        guard: Callable[[Any, Table], Any] | None = None,
        returning: tuple[str, ...] = (),
    ) -> Any:
        """INSERT ... ON CONFLICT (conflict) DO UPDATE the `update` columns from the new row
        where `guard(excluded, table)` holds, or DO NOTHING without `update`. Execute it with
        the values as parameters (`conn.execute(stmt, values)`): it is built once per shape and
        reused, because building one cost more CPU than running it (0.45 of 0.6 ms a webhook).
        """
        columns = tuple(sorted(set(update) - set(conflict)))
        key = (table.name, conflict, columns, guard, returning)
        stmt = self._upserts.get(key)
        if stmt is None:
            insert = self._insert(table)
            if columns:
                new = insert.excluded
                stmt = insert.on_conflict_do_update(
                    index_elements=list(conflict),
                    set_={k: new[k] for k in columns},
                    where=guard(new, table) if guard else None,
                )
            else:
                stmt = insert.on_conflict_do_nothing(index_elements=list(conflict))
            if returning:
                stmt = stmt.returning(*(table.c[k] for k in returning))
            self._upserts[key] = stmt
        return stmt

    # --- returns -----------------------------------------------------------------------------

    def _upsert_return(self, conn: Connection, return_id: str, fields: Mapping[str, Any]) -> None:
        """Insert or update the given columns, unless the write is older than the row.

        A write carrying `updated_at` applies only if it is not older than the stored one (ties
        broken by `last_seq`); a write without it (a counter, a flag) always applies. None
        clears a nullable column and is ignored for the others.
        """
        unknown = set(fields) - RETURN_FIELDS
        if unknown:
            raise ValueError(f"not ReturnRow columns: {sorted(unknown)}")
        # None means "unknown here" for a NOT NULL column (and for updated_at): leave it alone
        given = {k: v for k, v in fields.items() if v is not None or k in _CLEARABLE}
        created_at = given.get("created_at") or given.get("updated_at") or _now()
        row = ReturnRow(**{**given, "return_id": return_id, "created_at": created_at})
        conn.execute(
            self.upsert(_RETURNS, ("return_id",), given, guard=_not_older), row.model_dump()
        )

    def record_transition(self, t: Transition, projection: Mapping[str, Any] | None = None) -> bool:
        """Append the audit row (once per (return_id, seq)) and move the projection with it.

        The projection defaults to state=to_state, updated_at=at, last_seq=seq; `projection`
        adds or overrides ReturnRow columns. Returns whether the audit row was new.
        """
        fields = {"state": t.to_state, "updated_at": t.at, "last_seq": t.seq, **(projection or {})}
        audit = t.model_dump()
        with self.engine.begin() as conn:
            # RETURNING, not rowcount: psycopg reports -1 for a single INSERT ... ON CONFLICT
            stmt = self.upsert(_AUDIT, ("return_id", "seq"), returning=("seq",))
            inserted = conn.execute(stmt, audit).first() is not None
            self._upsert_return(conn, t.return_id, fields)
        return inserted

    def customer_returns_since(self, customer_key: str, since: datetime, exclude: str) -> int:
        """Other returns of one customer created since `since` (repeat-returner rules)."""
        t = _RETURNS.c
        query = (
            select(func.count())
            .select_from(_RETURNS)
            .where(t.customer_key == customer_key, t.created_at >= since, t.return_id != exclude)
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def upsert_return(self, return_id: str, **fields: Any) -> None:
        """Write some ReturnRow columns; see `_upsert_return` for the ordering rule."""
        with self.engine.begin() as conn:
            self._upsert_return(conn, return_id, fields)

    def get_return(self, return_id: str) -> ReturnRow | None:
        with Session(self.engine) as session:
            return session.get(ReturnRow, return_id)

    def list_returns(
        self, state: str | None = None, storefront: str | None = None, limit: int = 100
    ) -> list[ReturnRow]:
        """Newest first."""
        query = sm_select(ReturnRow)
        if state is not None:
            query = query.where(col(ReturnRow.state) == state)
        if storefront is not None:
            query = query.where(col(ReturnRow.storefront) == storefront)
        query = query.order_by(col(ReturnRow.created_at).desc(), col(ReturnRow.return_id))
        with Session(self.engine) as session:
            return list(session.exec(query.limit(limit)))

    # --- exceptions --------------------------------------------------------------------------

    def upsert_exception(self, case: ExceptionCase) -> None:
        """Insert or update by the case's deterministic id; refresh the return's open count.

        A retried older write cannot undo newer state: a resolved case is never reopened and an
        open case's escalation level never goes down.
        """
        values = {k: v.value if isinstance(v, Enum) else v for k, v in case.model_dump().items()}
        new_open = ExceptionStatus.OPEN.value
        with self.engine.begin() as conn:
            conn.execute(self.upsert(_EXCEPTIONS, ("id",), values, guard=_no_reopen), values)
            open_count = (
                select(func.count())
                .select_from(_EXCEPTIONS)
                .where(_EXCEPTIONS.c.return_id == case.return_id, _EXCEPTIONS.c.status == new_open)
                .scalar_subquery()
            )
            conn.execute(
                sa_update(_RETURNS)
                .where(_RETURNS.c.return_id == case.return_id)
                .values(open_exception_count=open_count)
            )

    def get_exception(self, id: str) -> ExceptionCase | None:
        with Session(self.engine) as session:
            row = session.get(ExceptionRow, id)
            return _case(row) if row is not None else None

    def list_exceptions(
        self,
        owner: OwnerTeam | str | None = None,
        kind: ExceptionKind | str | None = None,
        status: ExceptionStatus | str | None = ExceptionStatus.OPEN,
        older_than: timedelta | None = None,
        return_id: str | None = None,
        now: datetime | None = None,
        limit: int = 500,
    ) -> list[ExceptionCase]:
        """The exception queue, oldest first; `status=None` means any status.

        `older_than` keeps cases opened at least that long before `now` (default: the clock).
        """
        query = sm_select(ExceptionRow)
        if owner is not None:
            query = query.where(col(ExceptionRow.owner) == str(owner))
        if kind is not None:
            query = query.where(col(ExceptionRow.kind) == str(kind))
        if status is not None:
            query = query.where(col(ExceptionRow.status) == str(status))
        if return_id is not None:
            query = query.where(col(ExceptionRow.return_id) == return_id)
        if older_than is not None:
            cutoff = (now or _now()) - older_than
            query = query.where(col(ExceptionRow.opened_at) <= cutoff)
        query = query.order_by(col(ExceptionRow.opened_at), col(ExceptionRow.id)).limit(limit)
        with Session(self.engine) as session:
            return [_case(row) for row in session.exec(query)]

    # --- audit trail -------------------------------------------------------------------------

    def audit_trail(self, return_id: str) -> list[Transition]:
        query = (
            sm_select(AuditEventRow)
            .where(col(AuditEventRow.return_id) == return_id)
            .order_by(col(AuditEventRow.seq))
        )
        with Session(self.engine) as session:
            return [_transition(row) for row in session.exec(query)]

    # --- SKU mappings ------------------------------------------------------------------------

    def save_sku_mapping(
        self,
        erp_system: str,
        sku: str,
        erp_item_id: str,
        saved_by: str,
        note: str | None = None,
        saved_at: datetime | None = None,
    ) -> None:
        """Save (or replace) the ERP item for a Loop SKU in one ERP system."""
        values = {
            "erp_system": erp_system,
            "sku": sku,
            "erp_item_id": erp_item_id,
            "saved_by": saved_by,
            "saved_at": saved_at or _now(),
            "note": note,
        }
        with self.engine.begin() as conn:
            conn.execute(self.upsert(_SKUS, ("erp_system", "sku"), values), values)

    def sku_mappings(self, erp_system: str) -> dict[str, str]:
        query = select(_SKUS.c.sku, _SKUS.c.erp_item_id).where(_SKUS.c.erp_system == erp_system)
        with self.engine.connect() as conn:
            return {sku: item for sku, item in conn.execute(query)}

    # --- webhook log -------------------------------------------------------------------------

    def record_webhook(
        self,
        id: str,
        *,
        received_at: datetime,
        body: bytes | str,
        status_code: int,
        accepted: bool,
        signature_ok: bool,
        topic: str | None = None,
        trigger: str | None = None,
        return_id: str | None = None,
        digest: str | None = None,
        error: str | None = None,
        event: dict[str, Any] | None = None,
    ) -> None:
        """Log one delivery by its id; a second write with the same id replaces the first.

        Pass the raw body as bytes. `digest` defaults to the sha256 of the whole body. `event`
        (the parsed event) queues the delivery for the ingress's forwarder.
        """
        self.record_webhooks(
            [
                {
                    "id": id,
                    "received_at": received_at,
                    "body": body,
                    "status_code": status_code,
                    "accepted": accepted,
                    "signature_ok": signature_ok,
                    "topic": topic,
                    "trigger": trigger,
                    "return_id": return_id,
                    "digest": digest,
                    "error": error,
                    "event": event,
                }
            ]
        )

    def record_webhooks(self, deliveries: Sequence[Mapping[str, Any]]) -> None:
        """Log several deliveries (each as `record_webhook`'s arguments) in one transaction: the
        ingress commits what arrived while its last commit ran together."""
        shapes: dict[frozenset[str], list[dict[str, Any]]] = {}
        for delivery in deliveries:
            values = _webhook_values(delivery)
            shapes.setdefault(frozenset(values), []).append(values)

        def insert(conn: Connection) -> None:
            for keys, rows in shapes.items():
                conn.execute(self.upsert(_WEBHOOKS, ("id",), keys), rows)

        write_promptly(self.engine, insert, SQLITE_BUSY_TIMEOUT_MS)  # the ingress waits on it

    def get_webhook(self, id: str) -> WebhookRow | None:
        with Session(self.engine) as session:
            return session.get(WebhookRow, id)

    def list_webhooks(
        self, accepted: bool | None = None, return_id: str | None = None, limit: int = 100
    ) -> list[WebhookRow]:
        """Newest first; `accepted=False` lists refused and malformed deliveries."""
        query = sm_select(WebhookRow)
        if accepted is not None:
            query = query.where(col(WebhookRow.accepted) == accepted)
        if return_id is not None:
            query = query.where(col(WebhookRow.return_id) == return_id)
        query = query.order_by(col(WebhookRow.received_at).desc(), col(WebhookRow.id))
        with Session(self.engine) as session:
            return list(session.exec(query.limit(limit)))
