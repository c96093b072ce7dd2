"""The dev server's SQLite keeps a write-ahead log, so a commit does not wait on a full sync."""

from __future__ import annotations

import sqlite3

from tests.drills.stack import Stack
from workers.temporal import dev_files


def test_the_dev_server_db_is_in_wal_mode(quiet_stack: Stack) -> None:
    db, wal, _ = dev_files(quiet_stack.server.db)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"
    assert wal.exists()
    assert quiet_stack.server.disk_bytes() > db.stat().st_size
