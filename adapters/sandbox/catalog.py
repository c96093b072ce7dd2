"""One seeded world that every sandbox loads, so Loop's orders and the ERP's agree.

The shop sells a handful of items; customers placed orders; the ERP holds those orders as sales
orders whose otherRefNum is the Shopify order name. Tests and the demo pick orders from here,
and can add a SKU or order that exists on one side only to provoke an exception.
"""

from __future__ import annotations

import random
from decimal import ROUND_HALF_EVEN, Decimal

from pydantic import BaseModel, Field

CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


class CatalogItem(BaseModel):
    sku: str
    erp_item_id: str
    title: str
    price: Decimal
    tax_rate: Decimal = Decimal("0.20")  # the ERP's tax logic: VAT on the discounted price
    variant_id: str
    product_id: str
    category: str = "apparel"


class CatalogCustomer(BaseModel):
    erp_id: str
    email: str
    first_name: str
    last_name: str
    address1: str = "1 High Street"
    city: str = "London"
    zip: str = "N1 9GU"
    country_code: str = "GB"


class CatalogOrderLine(BaseModel):
    sku: str
    quantity: int = 1
    discount: Decimal = Decimal("0")  # per unit


class CatalogOrder(BaseModel):
    order_name: str  # Shopify order name, e.g. "#1001"
    order_number: str
    shopify_order_id: str
    loop_order_id: str
    erp_order_id: str
    customer_email: str
    currency: str = "GBP"
    lines: list[CatalogOrderLine]
    in_erp: bool = True  # False: a guest/channel order the ERP never got


class Catalog(BaseModel):
    items: dict[str, CatalogItem] = Field(default_factory=dict)
    customers: dict[str, CatalogCustomer] = Field(default_factory=dict)
    orders: dict[str, CatalogOrder] = Field(default_factory=dict)

    def item(self, sku: str) -> CatalogItem:
        return self.items[sku]

    def customer(self, email: str) -> CatalogCustomer:
        return self.customers[email]

    def order(self, order_name: str) -> CatalogOrder:
        return self.orders[order_name]


def unit_amounts(item: CatalogItem, discount: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(price, discount, tax) for one unit, as the ERP computes them: tax on the net price."""
    net = item.price - discount
    return item.price, discount, cents(net * item.tax_rate)


_ITEMS = [
    ("TEE-BLK-M", "Black tee, M", "25.00", "apparel"),
    ("TEE-BLK-L", "Black tee, L", "25.00", "apparel"),
    ("TEE-WHT-M", "White tee, M", "25.00", "apparel"),
    ("JKT-NVY-M", "Navy jacket, M", "180.00", "outerwear"),
    ("JKT-NVY-L", "Navy jacket, L", "180.00", "outerwear"),
    ("SCF-RED-OS", "Red scarf", "35.50", "accessories"),
    ("BAG-TAN-OS", "Tan tote", "89.99", "accessories"),
    ("SNK-WHT-42", "White sneaker, 42", "120.00", "footwear"),
    ("SNK-WHT-43", "White sneaker, 43", "120.00", "footwear"),
]


def demo_catalog() -> Catalog:
    """The small fixed world the demo and most tests use."""
    catalog = Catalog()
    for n, (sku, title, price, category) in enumerate(_ITEMS, start=1):
        catalog.items[sku] = CatalogItem(
            sku=sku,
            erp_item_id=str(500 + n),
            title=title,
            price=Decimal(price),
            variant_id=str(40000 + n),
            product_id=str(7000 + n),
            category=category,
        )
    people = [
        ("ada@example.com", "Ada", "Lovelace"),
        ("alan@example.com", "Alan", "Turing"),
        ("grace@example.com", "Grace", "Hopper"),
        ("edsger@example.com", "Edsger", "Dijkstra"),
    ]
    for n, (email, first, last) in enumerate(people, start=1):
        catalog.customers[email] = CatalogCustomer(
            erp_id=str(100 + n), email=email, first_name=first, last_name=last
        )
    orders = [
        ("ada@example.com", [("TEE-BLK-M", 2, "0"), ("SCF-RED-OS", 1, "0")]),
        ("alan@example.com", [("JKT-NVY-M", 1, "18.00")]),
        ("grace@example.com", [("SNK-WHT-42", 1, "0"), ("TEE-WHT-M", 1, "2.50")]),
        ("edsger@example.com", [("BAG-TAN-OS", 1, "0")]),
        ("ada@example.com", [("JKT-NVY-L", 1, "0"), ("SNK-WHT-43", 1, "0")]),
        ("alan@example.com", [("TEE-BLK-L", 3, "0")]),
    ]
    for n, (email, lines) in enumerate(orders, start=1):
        name = f"#{1000 + n}"
        catalog.orders[name] = CatalogOrder(
            order_name=name,
            order_number=str(1000 + n),
            shopify_order_id=str(5800000 + n),
            loop_order_id=str(2800 + n),
            erp_order_id=str(9000 + n),
            customer_email=email,
            lines=[CatalogOrderLine(sku=s, quantity=q, discount=Decimal(d)) for s, q, d in lines],
        )
    return catalog


FIRST_GENERATED_ORDER = 20000  # generated orders are numbered from here, after the demo's


def generated_catalog(orders: int, seed: int = 7) -> Catalog:
    """A larger world for drills and benchmarks, deterministic for a seed."""
    catalog = demo_catalog()
    rng = random.Random(seed)
    skus = list(catalog.items)
    emails = list(catalog.customers)
    for n in range(orders):
        number = FIRST_GENERATED_ORDER + n
        name = f"#{number}"
        lines = [
            CatalogOrderLine(sku=rng.choice(skus), quantity=rng.randint(1, 2))
            for _ in range(rng.randint(1, 3))
        ]
        catalog.orders[name] = CatalogOrder(
            order_name=name,
            order_number=str(number),
            shopify_order_id=str(6000000 + n),
            loop_order_id=str(300000 + n),
            erp_order_id=str(100000 + n),
            customer_email=rng.choice(emails),
            lines=lines,
        )
    return catalog


def with_copies(catalog: Catalog, copies: int) -> Catalog:
    """Clone each order `copies` times ("#1001-1", …) so many returns never share order lines."""
    result = catalog.model_copy(deep=True)
    for n, order in enumerate(list(catalog.orders.values())):
        for k in range(1, copies + 1):
            name = f"{order.order_name}-{k}"
            offset = 10000 * (n + 1) + k
            result.orders[name] = order.model_copy(
                update={
                    "order_name": name,
                    "order_number": f"{order.order_number}{k:03d}",
                    "shopify_order_id": str(int(order.shopify_order_id) * 1000 + k),
                    "loop_order_id": str(int(order.loop_order_id) * 1000 + k),
                    "erp_order_id": str(100000 + offset),
                }
            )
    return result
