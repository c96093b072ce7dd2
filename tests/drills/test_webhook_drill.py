"""Every event delivered three times and shuffled ends exactly as a clean run does."""

from __future__ import annotations

from tests.drills.redelivery import COPIES, redelivery_drill
from tests.drills.stack import Stack

RETURNS = 4
OUTCOMES = ("refund", "exchange", "store_credit", "refund")


async def test_triple_shuffled_delivery_ends_as_a_clean_run(quiet_stack: Stack) -> None:
    result = await redelivery_drill(quiet_stack, RETURNS, outcomes=OUTCOMES)

    assert result.deliveries == RETURNS * 3 * COPIES
    assert result.shuffled == result.clean
    # each outcome ends in its own documents: the exchange's order, the gift card's credit
    kinds = [set(s["erp_documents"]) for s in result.clean]
    assert [("exchange_order" in k, "store_credit" in k) for k in kinds] == [
        (False, False),
        (True, False),
        (False, True),
        (False, False),
    ]
    assert {s["state"] for s in result.clean} == {"closed"}
    assert {s["events_seen"] for s in result.shuffled} == {3}  # duplicates seen once
    assert result.audit.findings == []
