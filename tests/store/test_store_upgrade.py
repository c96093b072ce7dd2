"""A store an older returnflow made is brought up to today's tables: the walking skeleton's
`returns` table had no inventory, refund-path or customer columns."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from adapters.store import Store
from tests.pg import pg_database

OLD_RETURNS = """
CREATE TABLE returns (
    return_id VARCHAR NOT NULL PRIMARY KEY,
    storefront VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    blocked BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP,
    last_seq INTEGER,
    sla_breached BOOLEAN NOT NULL,
    open_exception_count INTEGER NOT NULL
)
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def old_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
    else:
        with pg_database("returnflow_upgrade") as url:
            yield url


def test_an_old_store_gains_the_new_columns_and_keeps_its_rows(old_store_url: str) -> None:
    engine = create_engine(old_store_url)
    with engine.begin() as conn:
        conn.execute(text(OLD_RETURNS))
        conn.execute(
            text(
                "INSERT INTO returns VALUES ('1673', 'default', 'closed', false, "
                "'2026-11-01 10:00:00', NULL, NULL, false, 0)"
            )
        )
    engine.dispose()

    store = Store.from_url(old_store_url)
    store.create_all()
    store.create_all()  # idempotent
    columns = {c["name"] for c in inspect(store.engine).get_columns("returns")}
    assert {"units_restocked", "refund_path", "sync_direction", "customer_key"} <= columns
    indexes = {i["name"] for i in inspect(store.engine).get_indexes("returns")}
    assert "ix_returns_disposed" in indexes

    store.upsert_return(
        "1674",
        state="closed",
        units_received=2,
        units_restocked=1,
        refund_path="store_credit",
        updated_at=datetime(2026, 11, 2, tzinfo=UTC),
    )
    old, new = store.get_return("1673"), store.get_return("1674")
    assert old is not None and old.state == "closed" and old.units_restocked is None
    assert new is not None and (new.units_restocked, new.refund_path) == (1, "store_credit")
    store.close()
