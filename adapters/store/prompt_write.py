"""A write transaction on SQLite that takes the file's write lock as soon as it is free.

SQLite's own busy handler waits for a held lock in growing sleeps (1, 2, 5, 10, 15, 20, 25,
25, 25, 50, 50, 100 ms): a lock held for 30 ms costs its waiter 33 ms, one held for 60 ms
costs 78 ms. The ingress's webhook log writer met the worker's and the forwarder's writes that
way, and those sleeps were the tail of the webhook ack (commits of one row taking 80-109 ms).
Here the lock is asked for every millisecond instead, up to the same overall timeout. Only for
writes a caller is waiting on: everyone else keeps SQLite's handler.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from time import monotonic, sleep

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

POLL_S = 0.001
log = logging.getLogger(__name__)


def _busy(err: OperationalError) -> bool:
    code = getattr(err.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


def write_promptly(engine: Engine, work: Callable[[Connection], None], timeout_ms: int) -> None:
    """Run `work` in one transaction, on SQLite retried whole while another connection holds
    the lock (PostgreSQL waits for row locks, not a file lock: one plain transaction).

    The connection's busy_timeout is off for the attempt and put back before it returns to
    the pool, so no other caller inherits it. If it cannot be put back (the connection broke
    mid-write) the connection is dropped from the pool, and the write's own error, when there
    is one, is what the caller sees: it says why the write was lost."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            work(conn)
        return
    deadline = monotonic() + timeout_ms / 1000
    with engine.connect() as conn:
        pooled = int(conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one())
        conn.exec_driver_sql("PRAGMA busy_timeout=0")
        conn.commit()
        failed = False
        try:
            while True:
                try:
                    with conn.begin():
                        work(conn)
                    return
                except OperationalError as err:
                    if not _busy(err) or monotonic() >= deadline:
                        raise
                sleep(POLL_S)
        except BaseException:
            failed = True
            raise
        finally:
            _restore(conn, pooled, keep_quiet=failed)


def _restore(conn: Connection, busy_timeout_ms: int, keep_quiet: bool) -> None:
    """Put the pooled busy_timeout back; a connection that cannot take it is invalidated, so
    the pool never hands out one that fails at the first held lock. `keep_quiet` leaves a
    failure here as a log line, not an exception, because one is already on its way out."""
    try:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={busy_timeout_ms}")
        conn.commit()
    except Exception:
        conn.invalidate()
        if not keep_quiet:
            raise
        log.warning("busy_timeout not restored after a failed write; connection dropped")
