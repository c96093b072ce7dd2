"""Accepted webhooks waiting to be handed to Temporal, when the ingress acknowledges from the
store: the webhook log row is the durable copy, so an event acknowledged to Loop survives the
ingress dying before it reached Temporal (the next forwarder picks it up)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table, func, or_, select

from adapters.store.store import Store
from adapters.store.tables import WebhookRow

_WEBHOOKS: Table = WebhookRow.__table__  # type: ignore[attr-defined]
_WAITING = (_WEBHOOKS.c.forwarded_at.is_(None), _WEBHOOKS.c.event.is_not(None))


class WebhookOutbox:
    def __init__(self, store: Store) -> None:
        self.engine: Engine = store.engine

    def claim(
        self, owner: str, limit: int, now: datetime, lease: timedelta
    ) -> list[tuple[str, dict[str, Any]]]:
        """Claim the oldest waiting events nobody holds (or whose holder's lease ran out):
        (delivery id, parsed event). One statement, so two replicas never claim the same row
        (PostgreSQL skips rows another claim has locked; SQLite has one writer)."""
        free = or_(_WEBHOOKS.c.claimed_at.is_(None), _WEBHOOKS.c.claimed_at < now - lease)
        oldest = (
            select(_WEBHOOKS.c.id)
            .where(*_WAITING, free)
            .order_by(_WEBHOOKS.c.received_at, _WEBHOOKS.c.id)
            .limit(limit)
        )
        if self.engine.dialect.name == "postgresql":
            oldest = oldest.with_for_update(skip_locked=True)
        claim = (
            _WEBHOOKS.update()
            .where(_WEBHOOKS.c.id.in_(oldest.scalar_subquery()), free)
            .values(claimed_by=owner, claimed_at=now)
            .returning(_WEBHOOKS.c.id, _WEBHOOKS.c.event, _WEBHOOKS.c.received_at)
        )
        with self.engine.begin() as conn:
            rows = sorted(conn.execute(claim), key=lambda r: (r.received_at, r.id))
        return [(str(r.id), dict(r.event)) for r in rows]

    def release(self, delivery_ids: list[str]) -> None:
        """Give claims back (their hand-over failed) so the next claim retries them at once."""
        with self.engine.begin() as conn:
            conn.execute(
                _WEBHOOKS.update()
                .where(_WEBHOOKS.c.id.in_(delivery_ids))
                .values(claimed_by=None, claimed_at=None)
            )

    def forwarded(self, delivery_id: str, at: datetime, note: str | None = None) -> None:
        self.forwarded_many([(delivery_id, note)], at)

    def forwarded_many(self, marks: list[tuple[str, str | None]], at: datetime) -> None:
        """Mark a round's hand-overs in one transaction (delivery id, note or None): the store
        has one writer at a time (SQLite), and the ingress's inserts wait behind each one."""
        plain = [delivery_id for delivery_id, note in marks if note is None]
        with self.engine.begin() as conn:
            if plain:
                conn.execute(
                    _WEBHOOKS.update().where(_WEBHOOKS.c.id.in_(plain)).values(forwarded_at=at)
                )
            for delivery_id, note in marks:
                if note is not None:
                    conn.execute(
                        _WEBHOOKS.update()
                        .where(_WEBHOOKS.c.id == delivery_id)
                        .values(forwarded_at=at, error=note)
                    )

    def backlog(self) -> tuple[int, datetime | None]:
        """How many wait, and since when (the oldest's receipt time)."""
        query = select(func.count(), func.min(_WEBHOOKS.c.received_at)).where(*_WAITING)
        with self.engine.connect() as conn:
            count, oldest = conn.execute(query).one()
        return int(count), oldest
