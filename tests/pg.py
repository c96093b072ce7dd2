"""A throwaway PostgreSQL database for tests, written once for every test folder.

`pg_database()` creates `<prefix>_<random>` on the server named by RETURNFLOW_TEST_PG_URL and
drops it on exit, so parallel runs and leftover state never collide. An unreachable server is a
failure with a clear message (a silent skip would hide that PostgreSQL went untested), unless
RETURNFLOW_SKIP_POSTGRES=1 asks for a skip.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import URL, make_url

PG_URL_ENV = "RETURNFLOW_TEST_PG_URL"
SKIP_ENV = "RETURNFLOW_SKIP_POSTGRES"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def base_url() -> URL:
    return make_url(os.environ.get(PG_URL_ENV) or DEFAULT_PG_URL)


def unavailable(reason: str) -> NoReturn:
    """Fail (or skip, when RETURNFLOW_SKIP_POSTGRES=1) a test that needs PostgreSQL."""
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"PostgreSQL skipped ({SKIP_ENV}=1): {reason}")
    pytest.fail(
        f"PostgreSQL is needed and unreachable: {reason}\n"
        f"Start it, point {PG_URL_ENV} at it (default {DEFAULT_PG_URL}), "
        f"or set {SKIP_ENV}=1 to skip the PostgreSQL tests.",
        pytrace=False,
    )


def _admin(url: URL) -> psycopg.Connection:
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        reason = f"{url.render_as_string(hide_password=True)}: {exc}".strip()
    unavailable(reason)  # outside `except`, so the report is the message, not a chained trace


@contextmanager
def pg_database(prefix: str = "returnflow_t") -> Iterator[str]:
    """Yield the SQLAlchemy URL of a fresh, empty database; drop it afterwards."""
    url = base_url()
    name = f"{prefix}_{secrets.token_hex(6)}"
    with _admin(url) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with _admin(url) as admin:
            # FORCE: a pooled connection left open by the code under test must not block the drop
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
