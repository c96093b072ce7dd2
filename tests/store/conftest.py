"""The `store` fixture: every store test runs on SQLite and on PostgreSQL.

SQLite gets a new file per test. PostgreSQL gets one fresh database per session (tests/pg.py)
with the tables created once and truncated before each test, which keeps the suite fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.store import Store
from adapters.store.tables import TABLES
from tests.pg import pg_database


@pytest.fixture(scope="session")
def pg_store() -> Iterator[Store]:
    with pg_database() as url:
        store = Store.from_url(url)
        store.create_all()
        try:
            yield store
        finally:
            store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        sqlite_store = Store.from_url(f"sqlite:///{tmp_path / 'returnflow.db'}")
        sqlite_store.create_all()
        yield sqlite_store
        sqlite_store.close()
        return
    pg: Store = request.getfixturevalue("pg_store")
    with pg.engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(t.name for t in TABLES)))
    yield pg
