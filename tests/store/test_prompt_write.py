"""The webhook log's commit on SQLite asks for a held write lock every millisecond, instead of
in SQLite's growing busy-handler sleeps, and leaves the pooled connection as it found it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from adapters.store import Store, prompt_write
from adapters.store.prompt_write import write_promptly
from adapters.store.store import SQLITE_BUSY_TIMEOUT_MS


@pytest.fixture
def db(tmp_path: Path) -> Iterator[tuple[Store, Path]]:
    path = tmp_path / "returnflow.db"
    store = Store.from_url(f"sqlite:///{path}")
    store.create_all()
    yield store, path
    store.close()


def _holder(path: Path) -> sqlite3.Connection:
    """Another process's writer, in the middle of a transaction."""
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    return other


def _delivery(n: int) -> dict[str, object]:
    return {
        "id": f"d{n}",
        "received_at": datetime(2026, 12, 7, 12, 0, n, tzinfo=UTC),
        "body": b'{"topic": "return.created"}',
        "signature_ok": True,
        "accepted": True,
        "status_code": 202,
    }


def _busy_timeout(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("PRAGMA busy_timeout")).scalar_one())


def test_a_held_lock_is_asked_for_every_millisecond_until_it_is_free(
    db: tuple[Store, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, path = db
    other = _holder(path)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 3:
            other.execute("COMMIT")  # the holder lets go while the writer waits

    monkeypatch.setattr(prompt_write, "sleep", sleep)
    store.record_webhooks([_delivery(1), _delivery(2)])

    assert sleeps == [prompt_write.POLL_S] * 3
    assert {row.id for row in store.list_webhooks()} == {"d1", "d2"}
    assert _busy_timeout(store) == SQLITE_BUSY_TIMEOUT_MS
    other.close()


def test_a_lock_held_past_the_timeout_fails_the_write_and_restores_the_connection(
    db: tuple[Store, Path],
) -> None:
    store, path = db
    other = _holder(path)

    def insert(conn: Connection) -> None:
        conn.execute(text("INSERT INTO webhooks (id) VALUES ('x')"))

    with pytest.raises(OperationalError, match="locked"):
        write_promptly(store.engine, insert, timeout_ms=20)
    other.execute("ROLLBACK")
    other.close()
    assert _busy_timeout(store) == SQLITE_BUSY_TIMEOUT_MS
    assert store.list_webhooks() == []


def test_an_error_other_than_a_held_lock_is_raised_at_once(
    db: tuple[Store, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = db
    sleeps: list[float] = []
    monkeypatch.setattr(prompt_write, "sleep", sleeps.append)

    def broken(conn: Connection) -> None:
        conn.execute(text("INSERT INTO no_such_table VALUES (1)"))

    with pytest.raises(OperationalError, match="no such table"):
        write_promptly(store.engine, broken, SQLITE_BUSY_TIMEOUT_MS)
    assert sleeps == []
    assert _busy_timeout(store) == SQLITE_BUSY_TIMEOUT_MS


def _dropped(raw: sqlite3.Connection) -> bool:
    """Closed, so never handed out again with busy_timeout still off."""
    try:
        raw.execute("SELECT 1")
    except sqlite3.ProgrammingError:
        return True
    return False


@pytest.mark.parametrize(
    ("write_fails", "raised", "says"),
    [
        (True, RuntimeError, "write itself"),  # the write's own error, not the restore's
        (False, sqlite3.OperationalError, "disk I/O"),  # after a good write, the restore's
    ],
)
def test_a_restore_that_fails_drops_the_connection_and_hides_no_write_error(
    db: tuple[Store, Path],
    monkeypatch: pytest.MonkeyPatch,
    write_fails: bool,
    raised: type[Exception],
    says: str,
) -> None:
    store, _ = db
    used: list[sqlite3.Connection] = []

    def refuse(*_: object, **__: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    def work(conn: Connection) -> None:
        conn.execute(text("SELECT 1"))
        used.append(conn.connection.dbapi_connection)  # type: ignore[arg-type]
        # from here on the connection refuses statements, as one whose file went away does
        monkeypatch.setattr(conn, "exec_driver_sql", refuse)
        if write_fails:
            raise RuntimeError("the write itself failed")

    with pytest.raises(raised, match=says):
        write_promptly(store.engine, work, SQLITE_BUSY_TIMEOUT_MS)
    assert _dropped(used[0])
    store.record_webhooks([_delivery(3)])
    assert [row.id for row in store.list_webhooks()] == ["d3"]
