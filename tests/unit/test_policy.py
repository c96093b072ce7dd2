"""Refund governance and money: which rule decides, whether amounts agree, rounding per currency."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.model import LoopTotals, Money, OrderRef, ReturnConfig, ReturnRequest, minor_units
from workflows.policy import (
    RULES,
    PolicyFacts,
    address_mismatch,
    compare_amounts,
    damaged_claim,
    decide_refund,
    high_value,
    repeat_returner,
    under_threshold,
)


def request(currency: str = "USD") -> ReturnRequest:
    zero = Money.zero(currency)
    return ReturnRequest(
        return_id="1674",
        currency=currency,
        order=OrderRef(order_name="#1001"),
        lines=[],
        totals=LoopTotals(
            return_total=zero,
            refund=zero,
            gift_card=zero,
            handling_fee=zero,
            tax=zero,
            discount=zero,
            exchange_total=zero,
        ),
    )


def facts(amount: str, currency: str = "USD", damaged: bool = False) -> PolicyFacts:
    return PolicyFacts(
        request=request(currency), refund_amount=Money.of(amount, currency), damaged=damaged
    )


CONFIG = ReturnConfig(auto_approve_below=Decimal("100"))


# --- refund decision ----------------------------------------------------------------------


def test_rules_run_in_order_damaged_first() -> None:
    assert RULES == (damaged_claim, repeat_returner, address_mismatch, high_value)


def test_under_threshold_auto_approves() -> None:
    verdict = decide_refund(facts("99.99"), CONFIG)
    assert verdict.auto_approved
    assert verdict.rule == "under_threshold"


def test_exactly_at_the_threshold_needs_approval() -> None:
    verdict = decide_refund(facts("100.00"), CONFIG)
    assert not verdict.auto_approved
    assert verdict.rule == "high_value"
    assert "100" in verdict.detail


def test_above_the_threshold_needs_approval() -> None:
    assert decide_refund(facts("250"), CONFIG).rule == "high_value"


def test_damaged_claim_needs_approval_even_when_small() -> None:
    verdict = decide_refund(facts("5", damaged=True), CONFIG)
    assert not verdict.auto_approved
    assert verdict.rule == "damaged_claim"


def test_damaged_claim_wins_over_high_value() -> None:
    assert decide_refund(facts("500", damaged=True), CONFIG).rule == "damaged_claim"


def test_rules_that_do_not_fire_return_none() -> None:
    assert damaged_claim(facts("500"), CONFIG) is None
    assert high_value(facts("99.99", damaged=True), CONFIG) is None
    assert under_threshold(facts("1"), CONFIG).auto_approved


def test_the_threshold_comes_from_config() -> None:
    assert decide_refund(facts("40"), ReturnConfig(auto_approve_below=Decimal("50"))).auto_approved
    assert not decide_refund(
        facts("50"), ReturnConfig(auto_approve_below=Decimal("50"))
    ).auto_approved
    assert not decide_refund(
        facts("0.01"), ReturnConfig(auto_approve_below=Decimal("0"))
    ).auto_approved


def test_zero_amount_is_auto_approved_under_a_positive_threshold() -> None:
    assert decide_refund(facts("0"), CONFIG).rule == "under_threshold"


@given(
    st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False),
    st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False),
    st.booleans(),
)
def test_decision_property(amount: Decimal, threshold: Decimal, damaged: bool) -> None:
    verdict = decide_refund(
        facts(str(amount), damaged=damaged), ReturnConfig(auto_approve_below=threshold)
    )
    assert verdict.auto_approved == (not damaged and amount < threshold)
    assert verdict.rule in {"damaged_claim", "high_value", "under_threshold"}


# --- Loop's figure against the ERP's ------------------------------------------------------


def test_equal_amounts_agree_without_tolerance() -> None:
    check = compare_amounts(Money.of("49.99", "USD"), Money.of("49.99", "USD"))
    assert check.within_tolerance
    assert check.difference == Money.of("0", "USD")


def test_difference_is_erp_minus_loop() -> None:
    check = compare_amounts(Money.of("50.00", "USD"), Money.of("49.96", "USD"))
    assert check.difference == Money.of("-0.04", "USD")


def test_within_tolerance_and_exactly_at_it() -> None:
    tolerance = Money.of("0.05", "USD")
    assert compare_amounts(
        Money.of("50.00", "USD"), Money.of("50.04", "USD"), tolerance
    ).within_tolerance
    assert compare_amounts(
        Money.of("50.00", "USD"), Money.of("49.95", "USD"), tolerance
    ).within_tolerance


def test_outside_tolerance_either_way() -> None:
    tolerance = Money.of("0.05", "USD")
    over = compare_amounts(Money.of("50.00", "USD"), Money.of("50.06", "USD"), tolerance)
    under = compare_amounts(Money.of("50.00", "USD"), Money.of("45.00", "USD"), tolerance)
    assert not over.within_tolerance and over.difference == Money.of("0.06", "USD")
    assert not under.within_tolerance and under.difference == Money.of("-5.00", "USD")


def test_no_tolerance_means_exact() -> None:
    assert not compare_amounts(Money.of("50.00", "USD"), Money.of("50.01", "USD")).within_tolerance


def test_currency_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="currency mismatch"):
        compare_amounts(Money.of("50", "USD"), Money.of("50", "EUR"))


def test_difference_is_rounded_to_the_currency() -> None:
    # a sub-yen difference is no difference in JPY
    check = compare_amounts(Money(amount=Decimal("1000"), currency="JPY"),
                            Money(amount=Decimal("1000.4"), currency="JPY"))  # fmt: skip
    assert check.within_tolerance
    assert check.difference.amount == Decimal("0")


# --- money ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "places"), [("JPY", 0), ("KRW", 0), ("GBP", 2), ("USD", 2), ("EUR", 2),
                             ("KWD", 3), ("BHD", 3)]
)  # fmt: skip
def test_minor_units(currency: str, places: int) -> None:
    assert minor_units(currency) == places
    assert minor_units(currency.lower()) == places


@pytest.mark.parametrize(
    ("raw", "currency", "expected"),
    [
        ("1234.4", "JPY", "1234"),
        ("1234.5", "JPY", "1234"),  # half to even
        ("1235.5", "JPY", "1236"),
        ("10.005", "GBP", "10.00"),
        ("10.015", "GBP", "10.02"),
        ("10.1", "GBP", "10.10"),
        ("1.2345", "KWD", "1.234"),
        ("1.2355", "KWD", "1.236"),
        ("7", "KWD", "7.000"),
    ],
)
def test_money_rounds_per_currency(raw: str, currency: str, expected: str) -> None:
    money = Money.of(raw, currency)
    assert money.amount == Decimal(expected)
    assert str(money.amount) == expected
    assert str(money) == f"{expected} {currency}"


def test_currency_is_normalised_to_upper_case() -> None:
    assert Money.of("1", "gbp").currency == "GBP"


def test_money_refuses_to_mix_currencies() -> None:
    with pytest.raises(ValueError, match="currency mismatch"):
        Money.of("1", "GBP") + Money.of("1", "USD")
    with pytest.raises(ValueError, match="currency mismatch"):
        Money.of("1", "GBP") - Money.of("1", "USD")
