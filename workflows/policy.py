"""Refund governance as pure functions: which rule decides, and whether two amounts agree.

No I/O and no clock: the workflow passes in everything a rule looks at, so every decision can
be replayed and property-tested, and records the rule that fired.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workflows.model import Money, ReturnConfig, ReturnRequest


@dataclass(frozen=True)
class PolicyFacts:
    """What the refund decision may look at, gathered by the workflow."""

    request: ReturnRequest
    refund_amount: Money
    damaged: bool


@dataclass(frozen=True)
class Verdict:
    auto_approved: bool
    rule: str
    detail: str


Rule = Callable[[PolicyFacts, ReturnConfig], Verdict | None]


def damaged_claim(facts: PolicyFacts, config: ReturnConfig) -> Verdict | None:
    if facts.damaged:
        return Verdict(False, "damaged_claim", "inspection reported damage: finance approves")
    return None


def high_value(facts: PolicyFacts, config: ReturnConfig) -> Verdict | None:
    if facts.refund_amount.amount >= config.auto_approve_below:
        return Verdict(
            False,
            "high_value",
            f"refund {facts.refund_amount} is at or above the auto-approve limit "
            f"{config.auto_approve_below} {facts.refund_amount.currency}",
        )
    return None


def under_threshold(facts: PolicyFacts, config: ReturnConfig) -> Verdict:
    return Verdict(
        True,
        "under_threshold",
        f"refund {facts.refund_amount} below {config.auto_approve_below} "
        f"{facts.refund_amount.currency}",
    )


RULES: tuple[Rule, ...] = (damaged_claim, high_value)


def decide_refund(facts: PolicyFacts, config: ReturnConfig) -> Verdict:
    """First manual-approval rule that fires wins; otherwise auto-approve."""
    for rule in RULES:
        verdict = rule(facts, config)
        if verdict is not None:
            return verdict
    return under_threshold(facts, config)


@dataclass(frozen=True)
class AmountCheck:
    within_tolerance: bool
    difference: Money  # erp - loop


def compare_amounts(loop: Money, erp: Money, tolerance: Money | None = None) -> AmountCheck:
    """The ERP's figure is the truth; Loop's is checked against it."""
    difference = (erp - loop).rounded()
    limit = tolerance.amount if tolerance is not None else 0
    return AmountCheck(abs(difference.amount) <= limit, difference)
