"""The catch-up sweep's bookkeeping: its high-water mark, what it handed over, what was missed.

A return counts as missed by webhooks when Loop changed it after the newest accepted delivery
the webhook log holds for it; the sweep hands its current state over once (`sweep_signals`
remembers the digest), so overlapping sweeps neither signal twice nor count twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table, func, select

from adapters.store.store import Store
from adapters.store.tables import SweepRunRow, SweepSignalRow, WebhookRow

_RUNS: Table = SweepRunRow.__table__  # type: ignore[attr-defined]
_SIGNALS: Table = SweepSignalRow.__table__  # type: ignore[attr-defined]
_WEBHOOKS: Table = WebhookRow.__table__  # type: ignore[attr-defined]
CLOCK_SKEW = timedelta(seconds=2)


class SweepLedger:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine: Engine = store.engine

    def high_water_mark(self) -> datetime | None:
        """The `until` of the newest finished sweep."""
        query = select(func.max(_RUNS.c.until)).where(_RUNS.c.finished_at.is_not(None))
        with self.engine.connect() as conn:
            mark: datetime | None = conn.execute(query).scalar_one_or_none()
        return mark

    def window(self, now: datetime, overlap: timedelta, first_lookback: timedelta) -> datetime:
        """Where this sweep starts listing: a little before the mark, or the first lookback."""
        mark = self.high_water_mark()
        return (mark - overlap) if mark is not None else now - first_lookback

    def already_handed(self, return_id: str, digest: str) -> bool:
        query = select(_SIGNALS.c.digest).where(_SIGNALS.c.return_id == return_id)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one_or_none() == digest

    def webhook_since(self, return_id: str, changed_at: datetime) -> bool:
        """Whether an accepted webhook for this return arrived at or after `changed_at`, give
        or take CLOCK_SKEW (Loop stamps in whole seconds, sometimes a second ahead of us)."""
        query = (
            select(func.count())
            .select_from(_WEBHOOKS)
            .where(
                _WEBHOOKS.c.return_id == return_id,
                _WEBHOOKS.c.accepted.is_(True),
                _WEBHOOKS.c.received_at >= changed_at - CLOCK_SKEW,
            )
        )
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one() > 0

    def handed(
        self, return_id: str, digest: str, changed_at: datetime | None, at: datetime
    ) -> None:
        values = {
            "return_id": return_id,
            "digest": digest,
            "loop_updated_at": changed_at,
            "signalled_at": at,
        }
        self._upsert(_SIGNALS, values, "return_id")

    def record_run(self, row: SweepRunRow) -> None:
        self._upsert(_RUNS, row.model_dump(), "id")

    def _upsert(self, table: Table, values: dict[str, Any], key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(self.store.upsert(table, (key,), values), values)

    def runs(self, limit: int = 20) -> list[SweepRunRow]:
        query = select(_RUNS).order_by(_RUNS.c.started_at.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [SweepRunRow.model_validate(dict(r)) for r in conn.execute(query).mappings()]
