"""Workflow tests use the session's `live` worker (tests/conftest.py)."""

from tests.harness import Live

__all__ = ["Live"]
