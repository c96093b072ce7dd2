"""Refund governance as pure functions: which rule decides, and whether two amounts agree.

No I/O and no clock: the workflow passes in everything a rule looks at, so every decision can
be replayed and property-tested, and records the rule that fired.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from workflows.model import (
    Address,
    CustomerHistory,
    ErpLineRequest,
    ErpOrder,
    Money,
    ReturnConfig,
    ReturnRequest,
    Thresholds,
    minor_units,
)


@dataclass(frozen=True)
class PolicyFacts:
    """What the refund decision may look at, gathered by the workflow."""

    request: ReturnRequest
    refund_amount: Money
    damaged: bool
    category: str | None = None
    history: CustomerHistory = field(default_factory=CustomerHistory)
    address_mismatch: bool = False

    def limits(self, config: ReturnConfig) -> Thresholds:
        return config.limits(self.request.storefront, self.category, self.refund_amount.currency)


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


def repeat_returner(facts: PolicyFacts, config: ReturnConfig) -> Verdict | None:
    if facts.history.trusted:  # a customer the brand vouches for (wholesale, staff, VIP)
        return None
    if config.repeat_returns > 0 and facts.history.returns_in_window >= config.repeat_returns:
        return Verdict(
            False,
            "repeat_returner",
            f"{facts.history.returns_in_window} other returns in {facts.history.window_days} days "
            f"(limit {config.repeat_returns}): finance approves, CX contacts the customer",
        )
    return None


def address_mismatch(facts: PolicyFacts, config: ReturnConfig) -> Verdict | None:
    if facts.address_mismatch:
        return Verdict(
            False, "address_mismatch", "the return's address differs from the order's ship-to"
        )
    return None


def address_differs(returned_from: Address, ship_to: Address | None) -> bool:
    """The parcel comes back from somewhere the order never went: another country or postcode.

    Unknown is not different: without both postcodes (or countries) the rule stays quiet.
    """
    if ship_to is None:
        return False

    def postcode(a: Address) -> str:
        return "".join((a.zip or "").split()).upper()

    countries = (returned_from.country_code or "").upper(), (ship_to.country_code or "").upper()
    if all(countries) and countries[0] != countries[1]:
        return True
    zips = postcode(returned_from), postcode(ship_to)
    return all(zips) and zips[0] != zips[1]


def high_value(facts: PolicyFacts, config: ReturnConfig) -> Verdict | None:
    limit = facts.limits(config).auto_approve_below
    assert limit is not None
    if facts.refund_amount.amount >= limit:
        return Verdict(
            False,
            "high_value",
            f"refund {facts.refund_amount} is at or above the auto-approve limit "
            f"{limit} {facts.refund_amount.currency} ({_scope(facts)})",
        )
    return None


def under_threshold(facts: PolicyFacts, config: ReturnConfig) -> Verdict:
    return Verdict(
        True,
        "under_threshold",
        f"refund {facts.refund_amount} below {facts.limits(config).auto_approve_below} "
        f"{facts.refund_amount.currency} ({_scope(facts)})",
    )


def _scope(facts: PolicyFacts) -> str:
    return f"storefront {facts.request.storefront}, category {facts.category or 'any'}"


RULES: tuple[Rule, ...] = (damaged_claim, repeat_returner, address_mismatch, high_value)


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


def paid_for(order: ErpOrder, lines: list[ErpLineRequest]) -> Money:
    """The most these returned lines may credit: each line's paid amount, pro rata, rounded down.

    Rounding each share down (never to nearest) is what keeps several returns against one order
    from crediting more than was paid in total, whatever the split.
    """
    exp = Decimal(1).scaleb(-minor_units(order.currency))
    by_line = {line.line: line for line in order.lines}
    cap = Money.zero(order.currency)
    for line in lines:
        paid = by_line[line.order_line]
        if paid.quantity <= 0:
            continue
        share = (paid.amount * line.quantity / paid.quantity).quantize(exp, rounding=ROUND_DOWN)
        cap = cap + Money(amount=share, currency=order.currency)
    return cap


def compare_amounts(loop: Money, erp: Money, tolerance: Money | None = None) -> AmountCheck:
    """The ERP's figure is the truth; Loop's is checked against it."""
    difference = (erp - loop).rounded()
    limit = tolerance.amount if tolerance is not None else 0
    return AmountCheck(abs(difference.amount) <= limit, difference)
