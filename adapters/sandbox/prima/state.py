"""One Prima company's data, seeded from the shared catalog.

Prima knows products as a style with a colour/size matrix (Product + MtrxCode1..2), never as the
shop's flat SKU. Returns land in a depot picked by the return reason: a resale returns depot or
quarantine, both non-nettable, so nothing is sellable before inspection moves it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from adapters.sandbox.catalog import unit_amounts
from adapters.sandbox.erp_ledger import ErpWorld

MAIN, RETURNS, QUARANTINE, REFURB, SCRAP, RTV = (
    "MAIN",
    "RETURNS",
    "QUARANTINE",
    "REFURB",
    "SCRAP",
    "RTV",
)
DEPOTS = (MAIN, RETURNS, QUARANTINE, REFURB, SCRAP, RTV)
# reason code -> the depot its goods are received into
REASON_DEPOTS = {
    "UNWANTED": RETURNS,
    "SIZE": RETURNS,
    "FAULTY": QUARANTINE,
    "DAMAGED": QUARANTINE,
}
START_LEVEL = 20
# a sales return's own editable attributes: flags (Yes/No) a company may hold one with, and text
RETURN_FLAGS = ("OnHold", "Query")
RETURN_TEXTS = ("HoldReason",)


def matrix(sku: str) -> tuple[str, str, str]:
    """The seeded products: "TEE-BLK-M" is style TEE, colour BLK, size M."""
    style, colour, size = sku.split("-", 2)
    return style, colour, size


def item_key(product: str, colour: str, size: str) -> str:
    return f"{product}/{colour}/{size}"


@dataclass
class Product:
    key: str
    price: Decimal
    tax_rate: Decimal
    web_sellable: bool = True


@dataclass
class OrderLine:
    line_no: str
    key: str
    quantity: int
    price: Decimal
    discount: Decimal
    vat: Decimal  # per unit


@dataclass
class Order:
    prima_no: str
    order_number: str  # the web order number
    customer: str
    currency: str
    lines: list[OrderLine]


@dataclass
class PrimaState(ErpWorld):
    products: dict[str, Product] = field(default_factory=dict)
    customers: set[str] = field(default_factory=set)
    orders: dict[str, Order] = field(default_factory=dict)

    def seed(self) -> None:
        self.products.clear()
        self.customers.clear()
        self.orders.clear()
        for item in self.catalog.items.values():
            key = item_key(*matrix(item.sku))
            self.products[key] = Product(key, item.price, item.tax_rate)
            self.stock.levels[(key, MAIN)] = START_LEVEL
        for customer in self.catalog.customers.values():
            self.customers.add(account(customer.erp_id))
        for order in self.catalog.orders.values():
            if order.in_erp:
                self.add_order(order.order_name)

    def add_order(self, order_name: str) -> Order:
        source = self.catalog.orders[order_name]
        lines = []
        for n, line in enumerate(source.lines, start=1):
            item = self.catalog.items[line.sku]
            price, discount, vat = unit_amounts(item, line.discount)
            key = item_key(*matrix(line.sku))
            lines.append(OrderLine(str(n), key, line.quantity, price, discount, vat))
        order = Order(
            prima_no=f"SO{source.erp_order_id}",
            order_number=source.order_name,
            customer=account(self.catalog.customers[source.customer_email].erp_id),
            currency=source.currency,
            lines=lines,
        )
        self.orders[order.prima_no] = order
        return order

    def order(self, number: str) -> Order | None:
        return self.orders.get(number) or next(
            (o for o in self.orders.values() if o.order_number == number), None
        )


def account(erp_id: str) -> str:
    return f"C{erp_id}"
