"""Bundles and kits: one storefront SKU made of components the ERP stocks separately.

Pure and deterministic (used by validation and by the return workflow). A returned bundle line
is exploded into one line per component, and Loop's money for the line is divided by the
bundle's split rule so the component amounts add up to the bundle's to the cent:
- proportional: by each component's weight x quantity (weights from the mapping file)
- equal: by component units
- first: everything on the first component (the "main" item), nothing on the others

A partial return (only some components come back) is refunded as the sum of the returned
components' shares when the bundle's `partial` rule is "split"; with "exception" nothing guesses
and the return gets a partial_bundle_return case.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field

from workflows.model import Money, ReturnLine

COMPONENT_SEPARATOR = ":"  # component line id = <Loop line_item_id>:<component sku>


class SplitRule(StrEnum):
    PROPORTIONAL = "proportional"
    EQUAL = "equal"
    FIRST = "first"


class PartialRule(StrEnum):
    SPLIT = "split"  # refund the returned components' shares
    EXCEPTION = "exception"  # a person decides (partial_bundle_return)


class BundleComponent(BaseModel):
    sku: str
    quantity: int = Field(default=1, ge=1)
    weight: Decimal = Field(default=Decimal(1), gt=0)


class BundleRule(BaseModel):
    sku: str
    components: list[BundleComponent] = Field(min_length=1)
    split: SplitRule = SplitRule.PROPORTIONAL
    partial: PartialRule = PartialRule.EXCEPTION


class ComponentShare(BaseModel):
    line_item_id: str  # derived: <bundle line_item_id>:<component sku>
    sku: str
    quantity: int
    refund: Money  # this component's part of the bundle line's refund (price - discount + tax)


class BundleSplit(BaseModel):
    """How one returned bundle line was exploded; the workflow uses it at partial receipt."""

    line_item_id: str
    bundle_sku: str
    partial: PartialRule
    components: list[ComponentShare]


def component_line_id(line_item_id: str, sku: str) -> str:
    return f"{line_item_id}{COMPONENT_SEPARATOR}{sku}"


def shares(rule: BundleRule) -> list[Decimal]:
    """Each component's fraction of the bundle's money; they sum to 1."""
    if rule.split is SplitRule.FIRST:
        return [Decimal(1)] + [Decimal(0)] * (len(rule.components) - 1)
    if rule.split is SplitRule.EQUAL:
        weights = [Decimal(c.quantity) for c in rule.components]
    else:
        weights = [c.weight * c.quantity for c in rule.components]
    total = sum(weights, Decimal(0))
    return [w / total for w in weights]


def allocate(amount: Money, fractions: list[Decimal]) -> list[Money]:
    """Split `amount` by `fractions`, rounded to the currency; the rounding remainder goes to
    the largest share, so the parts always add up to the whole."""
    parts = [Money(amount=amount.amount * f, currency=amount.currency).rounded() for f in fractions]
    remainder = amount.amount - sum((p.amount for p in parts), Decimal(0))
    biggest = max(range(len(fractions)), key=lambda i: fractions[i])
    parts[biggest] = Money(amount=parts[biggest].amount + remainder, currency=amount.currency)
    return parts


def explode(line: ReturnLine, rule: BundleRule) -> tuple[list[ReturnLine], BundleSplit]:
    """The component lines for a returned bundle line, and the record of the split."""
    fractions = shares(rule)
    prices = allocate(line.price, fractions)
    discounts = allocate(line.discount, fractions)
    taxes = allocate(line.tax, fractions)
    refunds = allocate(line.refund, fractions) if line.refund is not None else None
    lines: list[ReturnLine] = []
    components: list[ComponentShare] = []
    for n, component in enumerate(rule.components):
        line_id = component_line_id(line.line_item_id, component.sku)
        refund = refunds[n] if refunds is not None else None
        lines.append(
            line.model_copy(
                update={
                    "line_item_id": line_id,
                    "sku": component.sku,
                    "quantity": line.quantity * component.quantity,
                    "price": prices[n],
                    "discount": discounts[n],
                    "tax": taxes[n],
                    "refund": refund,
                    "variant_id": None,
                    "product_id": None,
                }
            )
        )
        components.append(
            ComponentShare(
                line_item_id=line_id,
                sku=component.sku,
                quantity=line.quantity * component.quantity,
                refund=refund or (prices[n] - discounts[n] + taxes[n]),
            )
        )
    split = BundleSplit(
        line_item_id=line.line_item_id,
        bundle_sku=rule.sku,
        partial=rule.partial,
        components=components,
    )
    return lines, split


def received_refund(split: BundleSplit, received: dict[str, int]) -> Money | None:
    """Refund for the components that came back (component line id -> units received).

    None when only part of the bundle came back and its rule says a person decides.
    """
    complete = all(received.get(c.line_item_id, 0) >= c.quantity for c in split.components)
    if not complete and split.partial is PartialRule.EXCEPTION:
        return None
    currency = split.components[0].refund.currency
    total = Money.zero(currency)
    for c in split.components:
        units = min(received.get(c.line_item_id, 0), c.quantity)
        total = total + Money(amount=c.refund.amount * units / c.quantity, currency=currency)
    return total.rounded()
