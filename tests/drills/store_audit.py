"""The store's side of a drill's audit: through kills and restarts its audit trail must lose no
transition and write none twice, and its projection must agree with the trail."""

from __future__ import annotations

from adapters.store.store import Store


def store_findings(url: str, returns: int) -> list[str]:
    """What is wrong in the store after `returns` returns should all have closed: a return
    missing or extra, not closed, or whose audit seqs are not 1..n ending in `closed`."""
    store = Store.from_url(url)
    try:
        rows = store.list_returns(limit=returns + 100)
        findings: list[str] = []
        if len(rows) != returns:
            findings.append(f"store holds {len(rows)} returns, expected {returns}")
        for row in rows:
            trail = store.audit_trail(row.return_id)
            seqs = [t.seq for t in trail]
            last = trail[-1].to_state if trail else None
            if (row.state, last) != ("closed", "closed"):
                findings.append(f"{row.return_id}: projected {row.state}, audit ends {last}")
            if seqs != list(range(1, len(seqs) + 1)):
                findings.append(f"{row.return_id}: audit seqs {seqs}")
        return findings
    finally:
        store.close()
