"""Default-suite failure drill: 20 returns, a worker SIGKILL, a server restart, 20% ERP faults."""

from __future__ import annotations

from pathlib import Path

from tests.drills.chaos import LOST_ANSWERS, phased_drill
from tests.drills.stack import open_stack

RETURNS = 20


async def test_every_return_ends_once_through_kills_restarts_and_erp_faults(
    tmp_path: Path,
) -> None:
    async with open_stack(tmp_path, orders=RETURNS) as stack:
        assert stack.worker is not None
        result = await phased_drill(stack, RETURNS)
        assert stack.worker.starts == 2

    assert result.audit.findings == [], result.summary()
    assert result.audit.documents["returnAuthorization"] == RETURNS
    assert result.audit.documents["customerRefund"] == RETURNS
    assert sum(result.faults_injected.values()) > 0  # the faults really happened
    assert result.lost_answers == LOST_ANSWERS
