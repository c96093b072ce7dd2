"""Every event delivered three times and shuffled ends exactly as a clean run does."""

from __future__ import annotations

from tests.drills.redelivery import COPIES, redelivery_drill
from tests.drills.stack import Stack

RETURNS = 4


async def test_triple_shuffled_delivery_ends_as_a_clean_run(quiet_stack: Stack) -> None:
    result = await redelivery_drill(quiet_stack, RETURNS)

    assert result.deliveries == RETURNS * 3 * COPIES
    assert result.shuffled == result.clean
    assert {s["state"] for s in result.clean} == {"closed"}
    assert {s["events_seen"] for s in result.shuffled} == {3}  # duplicates seen once
    assert result.audit.findings == []
