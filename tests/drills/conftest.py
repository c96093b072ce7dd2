"""One stack shared by the drills that do not hurt it (redelivery, fuzz)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from tests.drills.stack import Stack, open_stack

QUIET_STACK_ORDERS = 16


@pytest.fixture(scope="session")
async def quiet_stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    # no approval gate, so every return's end state has the same shape whatever its amount
    async with open_stack(
        tmp_path_factory.mktemp("quiet-stack"),
        orders=QUIET_STACK_ORDERS,
        auto_approve_below=Decimal(1_000_000),
    ) as stack:
        yield stack
