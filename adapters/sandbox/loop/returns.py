"""Loop return objects built from the shared catalog, in the shape of the reference's §3.

Per-unit amounts come from `catalog.unit_amounts`, the ERP sandbox's own arithmetic, so Loop's
figures and the ERP's agree unless a test asks otherwise (`refund_skew`, `extra_lines`,
`unknown_order`). Money goes out as decimal strings and the return id as a string, as the
documented examples do; `order_id` is a number, as in Loop's example, to keep clients honest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from adapters.sandbox.catalog import Catalog, CatalogOrder, cents, unit_amounts

SHOP_ID = 12345
# Loop does not enumerate top-level outcomes; these wire values are our reading of its examples.
WIRE_OUTCOMES = {
    "refund": "refund",
    "store_credit": "credit",
    "exchange": "exchange",
    "keep_item": "keep_item",
    "donate": "donate",
}
OUTCOME_OF_WIRE = {wire: outcome for outcome, wire in WIRE_OUTCOMES.items()}
REFUND_LIKE = frozenset({"refund", "keep_item", "donate"})  # money back to the original tender
COUNTRIES = {"GB": "United Kingdom", "US": "United States"}


class SpecError(ValueError):
    """A sandbox control asked for a return the catalog cannot build."""


class ExtraLine(BaseModel):
    """A unit whose SKU the catalog (and so the ERP) does not know."""

    sku: str
    price: Decimal
    tax: Decimal = Decimal("0")
    discount: Decimal = Decimal("0")
    title: str | None = None


class ReturnSpec(BaseModel):
    """Body of POST /_sandbox/returns."""

    order_name: str
    skus: list[str] | None = Field(default=None, description="units to return; default all")
    outcome: Literal["refund", "store_credit", "exchange", "keep_item", "donate"] = "refund"
    state: Literal["open", "review"] = "open"
    handling_fee: Decimal = Decimal("0")
    refund_skew: Decimal = Field(
        default=Decimal("0"), description="added to Loop's refund (or gift card) figure"
    )
    reason: str = "Item was too big"
    parent_reason: str = "Item didn't fit"
    return_id: str | None = None
    created_at: datetime | None = None
    extra_lines: list[ExtraLine] = Field(default_factory=list)
    unknown_order: bool = False


@dataclass
class IdPool:
    """Deterministic ids: the same controls after a reset give the same ids."""

    next: dict[str, int] = field(
        default_factory=lambda: {
            "return": 100001,
            "line_item": 7100001,
            "provider_line_item": 13500001,
            "order": 990001,
            "note": 1,
            "gift_card": 5500001,
            "refund": 8800001,
            "exchange_order": 6600001,
            "shipment": 3300001,
        }
    )

    def take(self, kind: str) -> int:
        value = self.next[kind]
        self.next[kind] = value + 1
        return value


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(value: Decimal) -> str:
    return str(cents(value))


@dataclass
class _Unit:
    sku: str
    title: str
    price: Decimal
    discount: Decimal
    tax: Decimal
    variant_id: str | None
    product_id: str | None


def _order_units(spec: ReturnSpec, order: CatalogOrder, catalog: Catalog) -> list[_Unit]:
    bought = {line.sku: line for line in order.lines}
    wanted = spec.skus
    if wanted is None:
        wanted = [line.sku for line in order.lines for _ in range(line.quantity)]
    units = []
    for sku in wanted:
        line = bought.get(sku)
        if line is None:
            raise SpecError(f"{sku} is not on order {order.order_name}; use extra_lines")
        if wanted.count(sku) > line.quantity:
            raise SpecError(f"order {order.order_name} has only {line.quantity} x {sku}")
        item = catalog.item(sku)
        price, discount, tax = unit_amounts(item, line.discount)
        units.append(_Unit(sku, item.title, price, discount, tax, item.variant_id, item.product_id))
    return units


def _loose_units(spec: ReturnSpec, catalog: Catalog) -> list[_Unit]:
    """Units of an order the catalog does not have: priced from the catalog, no discount."""
    units = []
    for sku in spec.skus or []:
        if sku not in catalog.items:
            raise SpecError(f"{sku} is not in the catalog; use extra_lines")
        item = catalog.item(sku)
        price, discount, tax = unit_amounts(item, Decimal("0"))
        units.append(_Unit(sku, item.title, price, discount, tax, item.variant_id, item.product_id))
    return units


def _line(unit: _Unit, spec: ReturnSpec, ids: IdPool, returned_at: datetime) -> dict[str, Any]:
    exchange = spec.outcome == "exchange" and unit.variant_id is not None
    return {
        "line_item_id": str(ids.take("line_item")),
        "provider_line_item_id": str(ids.take("provider_line_item")),
        "product_id": unit.product_id,
        "variant_id": unit.variant_id,
        "sku": unit.sku,
        "barcode": None,
        "title": unit.title,
        "price": money(unit.price),
        "discount": money(unit.discount),
        "tax": money(unit.tax),
        "refund": money(unit.price - unit.discount + unit.tax),
        "returned_at": returned_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "exchange_variant": unit.variant_id if exchange else "",
        "return_reason": spec.reason,
        "parent_return_reason": spec.parent_reason,
        "outcome": "default",
        "return_comment": "",
    }


def _exchange_row(line: dict[str, Any], n: int) -> dict[str, Any]:
    total = Decimal(line["price"]) - Decimal(line["discount"]) + Decimal(line["tax"])
    return {
        "exchange_id": str(n),
        "product_id": line["product_id"],
        "variant_id": line["variant_id"],
        "sku": line["sku"],
        "title": line["title"],
        "price": line["price"],
        "discount": line["discount"],
        "tax": line["tax"],
        "total": money(total),
        "type": "variant",
        "out_of_stock": False,
        "out_of_stock_resolution": None,
    }


def build_return(spec: ReturnSpec, catalog: Catalog, ids: IdPool, now: datetime) -> dict[str, Any]:
    """A new Loop return object for `spec` (state open or review)."""
    if spec.unknown_order:
        if spec.order_name in catalog.orders:
            raise SpecError(f"{spec.order_name} is in the catalog; drop unknown_order")
        number = spec.order_name.lstrip("#")
        loop_order_id = ids.take("order")
        order_number, provider_order_id = number, str(8_000_000 + loop_order_id)
        email, currency = "guest@example.com", "GBP"
        first: str | None = "Guest"
        last: str | None = "Shopper"
        customer = None
        units = _loose_units(spec, catalog)
    else:
        if spec.order_name not in catalog.orders:
            raise SpecError(f"no order {spec.order_name} in the catalog; set unknown_order")
        order = catalog.order(spec.order_name)
        loop_order_id = int(order.loop_order_id)
        order_number, provider_order_id = order.order_number, order.shopify_order_id
        email, currency = order.customer_email, order.currency
        customer = catalog.customers.get(email)
        first = customer.first_name if customer else None
        last = customer.last_name if customer else None
        units = _order_units(spec, order, catalog)
    units += [
        _Unit(x.sku, x.title or x.sku, x.price, x.discount, x.tax, None, None)
        for x in spec.extra_lines
    ]
    if not units:
        raise SpecError("a return needs at least one unit")

    created = (spec.created_at or now).astimezone(UTC)
    return_id = spec.return_id or str(ids.take("return"))
    lines = [_line(unit, spec, ids, created) for unit in units]
    product = sum((u.price for u in units), Decimal(0))
    discount = sum((u.discount for u in units), Decimal(0))
    tax = sum((u.tax for u in units), Decimal(0))
    return_total = product - discount + tax
    payout = return_total - spec.handling_fee + spec.refund_skew
    exchange = spec.outcome == "exchange"
    exchanges = [_exchange_row(line, n) for n, line in enumerate(lines, 1)] if exchange else []
    zero = money(Decimal(0))
    country = customer.country_code if customer else "GB"
    return {
        "id": return_id,
        "shop_id": SHOP_ID,
        "state": spec.state,
        "outcome": WIRE_OUTCOMES[spec.outcome],
        "created_at": iso(created),
        "updated_at": iso(created),
        "edited_at": None,
        "total": money(return_total),
        "order_id": loop_order_id,
        "order_name": spec.order_name,
        "order_number": order_number,
        "provider_order_id": provider_order_id,
        "provider_order_number": order_number,
        "customer": email,
        "customer_detail": {
            "email": email,
            "first_name": first,
            "middle_name": None,
            "last_name": last,
        },
        "address": {
            "name": " ".join(p for p in (first, last) if p) or None,
            "company": None,
            "address1": customer.address1 if customer else None,
            "address2": None,
            "city": customer.city if customer else None,
            "state": None,
            "zip": customer.zip if customer else None,
            "country": COUNTRIES.get(country, country),
            "country_code": country,
            "phone": None,
        },
        "origin_country": COUNTRIES.get(country, country),
        "origin_country_code": country,
        "currency": currency,
        "multi_currency": False,
        "return_product_total": money(product),
        "return_discount_total": money(discount),
        "return_tax_total": money(tax),
        "return_total": money(return_total),
        "return_credit_total": money(return_total),
        "exchange_product_total": money(product) if exchange else zero,
        "exchange_discount_total": money(discount) if exchange else zero,
        "exchange_tax_total": money(tax) if exchange else zero,
        "exchange_total": money(return_total) if exchange else zero,
        "exchange_credit_total": money(return_total) if exchange else zero,
        "gift_card": money(payout) if spec.outcome == "store_credit" else zero,
        "handling_fee": money(spec.handling_fee),
        "refund": money(payout) if spec.outcome in REFUND_LIKE else zero,
        "upsell": zero,
        "is_gift_return": False,
        "status_page_url": f"https://returns.example.com/status/{return_id}",
        "refunds": [],
        "labels": [],
        "carrier": "N/A",
        "tracking_number": "N/A",
        "label_status": "new",
        "label_updated_at": iso(created),
        "exchange_order_id": None,
        "exchange_order_name": None,
        "gift_card_order_id": None,
        "gift_card_order_name": None,
        "destination_id": None,
        "line_items": lines,
        "exchanges": exchanges,
    }
