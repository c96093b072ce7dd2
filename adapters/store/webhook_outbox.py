"""Accepted webhooks waiting to be handed to Temporal, when the ingress acknowledges from the
store: the webhook log row is the durable copy, so an event acknowledged to Loop survives the
ingress dying before it reached Temporal (the next forwarder picks it up)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, func, select

from adapters.store.store import Store
from adapters.store.tables import WebhookRow

_WEBHOOKS: Table = WebhookRow.__table__  # type: ignore[attr-defined]
_WAITING = (_WEBHOOKS.c.forwarded_at.is_(None), _WEBHOOKS.c.event.is_not(None))


class WebhookOutbox:
    def __init__(self, store: Store) -> None:
        self.engine: Engine = store.engine

    def waiting(self, limit: int) -> list[tuple[str, dict[str, Any]]]:
        """The oldest events not yet forwarded: (delivery id, parsed event)."""
        query = (
            select(_WEBHOOKS.c.id, _WEBHOOKS.c.event)
            .where(*_WAITING)
            .order_by(_WEBHOOKS.c.received_at, _WEBHOOKS.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [(str(i), dict(e)) for i, e in conn.execute(query)]

    def forwarded(self, delivery_id: str, at: datetime, note: str | None = None) -> None:
        values: dict[str, Any] = {"forwarded_at": at}
        if note is not None:
            values["error"] = note
        with self.engine.begin() as conn:
            conn.execute(_WEBHOOKS.update().where(_WEBHOOKS.c.id == delivery_id).values(**values))

    def backlog(self) -> tuple[int, datetime | None]:
        """How many wait, and since when (the oldest's receipt time)."""
        query = select(func.count(), func.min(_WEBHOOKS.c.received_at)).where(*_WAITING)
        with self.engine.connect() as conn:
            count, oldest = conn.execute(query).one()
        return int(count), oldest
