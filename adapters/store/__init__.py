"""The projection store (sqlmodel over SQLite or PostgreSQL); see store.py."""

from adapters.store.store import DEFAULT_URL, Store

__all__ = ["DEFAULT_URL", "Store"]
