"""KPI tests run on SQLite and on PostgreSQL, with the store tests' fixtures."""

from tests.store.conftest import pg_store, store

__all__ = ["pg_store", "store"]
