"""The ERP status sweep's bookkeeping: which returns it watches and what it already signalled.

It watches returns in the lifecycle states it is given (those with an RA whose workflow has not
ended), page by page in return-id order so a large backlog streams instead of loading at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine, Table, select

from adapters.store.store import Store
from adapters.store.tables import ErpSignalRow, ReturnRow

_RETURNS: Table = ReturnRow.__table__  # type: ignore[attr-defined]
_SIGNALS: Table = ErpSignalRow.__table__  # type: ignore[attr-defined]


class ErpSignalLedger:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine: Engine = store.engine

    def watched(self, erp_system: str, states: Iterable[str], after: str, limit: int) -> list[str]:
        """The next `limit` ids of this ERP's returns in `states` after `after` (keyset)."""
        query = (
            select(_RETURNS.c.return_id)
            .where(
                _RETURNS.c.erp_system == erp_system,
                _RETURNS.c.state.in_(list(states)),
                _RETURNS.c.return_id > after,
            )
            .order_by(_RETURNS.c.return_id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [str(r) for r in conn.execute(query).scalars()]

    def already(self, return_ids: Iterable[str]) -> set[tuple[str, str]]:
        """(return id, kind) pairs already signalled, for one page of returns."""
        query = select(_SIGNALS.c.return_id, _SIGNALS.c.kind).where(
            _SIGNALS.c.return_id.in_(list(return_ids))
        )
        with self.engine.connect() as conn:
            return {(str(r), str(k)) for r, k in conn.execute(query)}

    def signalled(
        self, return_id: str, kind: str, document_id: str, erp_status: str, at: datetime
    ) -> None:
        values = {
            "return_id": return_id,
            "kind": kind,
            "document_id": document_id,
            "erp_status": erp_status,
            "signalled_at": at,
        }
        with self.engine.begin() as conn:
            conn.execute(self.store.upsert(_SIGNALS, ("return_id", "kind")), values)

    def forget(self, return_id: str, kind: str) -> None:
        """The ERP no longer shows it (a review box unticked): its next showing is news."""
        with self.engine.begin() as conn:
            conn.execute(
                _SIGNALS.delete().where(_SIGNALS.c.return_id == return_id, _SIGNALS.c.kind == kind)
            )
