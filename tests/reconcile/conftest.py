"""Reconciliation and sweep tests: the store on both backends; the live stack in stack.py."""

from tests.store.conftest import pg_store, store

__all__ = ["pg_store", "store"]
