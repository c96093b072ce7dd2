"""The webhook drill: every event delivered three times, shuffled, against a clean run.

Two groups of returns get the same Loop history (created, label in transit, label delivered).
The clean group's events arrive once each, in order; the other group's arrive three times each
in a seeded shuffle, several at a time. Both are then driven through their gates, and their end
states (what a person or an auditor can see) must be the same.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from tests.drills.audit import Audit, audit_returns
from tests.drills.chaos import bounded, create_returns
from tests.drills.courier import Courier, event_bodies
from tests.drills.drive import drive_to
from tests.drills.stack import Stack
from workflows.model import ReturnStatus

COPIES = 3


def end_state(status: ReturnStatus) -> dict[str, Any]:
    """What must not depend on how the webhooks arrived (ids and times left out)."""
    return {
        "state": status.state,
        "blocked": status.blocked,
        "gates_passed": status.gates_passed,
        "erp_documents": sorted(status.erp_documents),
        "erp_equals_loop": status.erp_refund_amount == status.loop_refund_amount,
        "amount_difference": status.amount_difference,
        "events_seen": status.events_seen,
        "open_exceptions": sorted(c.kind for c in status.open_exceptions),
        "breaches": len(status.breaches),
    }


@dataclass
class RedeliveryResult:
    clean: list[dict[str, Any]]
    shuffled: list[dict[str, Any]]
    deliveries: int
    audit: Audit


async def loop_history(stack: Stack, n: int, outcomes: tuple[str, ...]) -> list[str]:
    """n returns that were created and shipped in Loop (their webhooks not yet delivered)."""
    returns = await create_returns(stack, n, outcomes=outcomes)
    for r in returns:
        await stack.loop.label(r["id"], "in_transit", tracking_number=f"TRK{r['id']}")
        await stack.loop.label(r["id"], "delivered")
    return [r["id"] for r in returns]


async def redelivery_drill(
    stack: Stack, n: int, seed: int = 11, outcomes: tuple[str, ...] = ("refund",)
) -> RedeliveryResult:
    """Both groups ask for `outcomes` in the same turn, so the k-th of each pair up."""
    clean_ids = await loop_history(stack, n, outcomes)
    shuffled_ids = await loop_history(stack, n, outcomes)
    records = await stack.loop.records()
    courier = Courier(stack.ingress_url)
    try:
        for body in event_bodies(records, set(clean_ids)):
            await courier.deliver(body)
        noisy = event_bodies(records, set(shuffled_ids)) * COPIES
        random.Random(seed).shuffle(noisy)
        await bounded(noisy, 8, courier.deliver)
    finally:
        await courier.aclose()
    everything = clean_ids + shuffled_ids
    finals = {}

    async def drive(rid: str) -> None:
        finals[rid] = await drive_to(stack.client, rid, {"closed"}, timeout=90)

    await bounded(everything, 10, drive)
    return RedeliveryResult(
        clean=[end_state(finals[rid]) for rid in clean_ids],
        shuffled=[end_state(finals[rid]) for rid in shuffled_ids],
        deliveries=len(noisy),
        audit=await audit_returns(stack.loop, stack.erp, everything),
    )
