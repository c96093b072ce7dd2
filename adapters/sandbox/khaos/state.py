"""One Khaos Control system's data, seeded from the shared catalog.

Stock codes are not the shop's SKUs: Khaos keeps the SKU as the item's Other Ref and a barcode
beside it, so the adapter has to say which one it is matching (MAPPING_TYPE). Return reasons
carry a processing type that decides where returned stock goes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from adapters.sandbox.catalog import unit_amounts
from adapters.sandbox.erp_ledger import ErpWorld

SITE = "1"
MAIN, QUARANTINE, REFURB = "MAIN", "QUARANTINE", "REFURB"
LOCATIONS = (MAIN, QUARANTINE, REFURB)
START_LEVEL = 20

RETURN_TO_STOCK, QUARANTINED, STOCK_MISSING = "Return to Stock", "Quarantine", "Stock Missing"
# return reason code -> processing type (configured per Khaos system)
RETURN_REASONS = {"RTS": RETURN_TO_STOCK, "QUAR": QUARANTINED, "MISSING": STOCK_MISSING}
# stock adjustment reason codes (Adjust Warehouse -> reasons)
ADJUSTMENT_REASONS = ("RESTOCK", "REFURBISH", "DAMAGED", "RTV", "FOUND", "LOST")
PROCESSING_LOCATION = {RETURN_TO_STOCK: MAIN, QUARANTINED: QUARANTINE, STOCK_MISSING: None}
# a return's own editable fields: flags (-1/0) a system may use to hold one for review, and text
RETURN_FLAGS = ("ON_HOLD", "URGENT")
RETURN_TEXTS = ("HOLD_REASON",)


def stock_code(sku: str) -> str:
    return sku.replace("-", "")


@dataclass
class StockItem:
    stock_code: str
    other_ref: str  # the shop's SKU
    barcode: str
    description: str
    price: Decimal
    tax_rate: Decimal
    web_sale: bool = True
    discontinued: bool = False


@dataclass
class OrderLine:
    item_id: str  # SORDER_ITEM_ID
    stock_code: str
    qty: int
    price_net: Decimal
    discount_net: Decimal
    tax: Decimal  # per unit


@dataclass
class SalesOrder:
    code: str
    associated_ref: str
    company_code: str
    currency: str
    lines: list[OrderLine]


@dataclass
class KhaosState(ErpWorld):
    items: dict[str, StockItem] = field(default_factory=dict)
    companies: set[str] = field(default_factory=set)
    orders: dict[str, SalesOrder] = field(default_factory=dict)

    def seed(self) -> None:
        self.items.clear()
        self.companies.clear()
        self.orders.clear()
        for item in self.catalog.items.values():
            self.add_item(
                StockItem(
                    stock_code=stock_code(item.sku),
                    other_ref=item.sku,
                    barcode=f"50{int(item.erp_item_id):011d}",
                    description=item.title,
                    price=item.price,
                    tax_rate=item.tax_rate,
                )
            )
        for customer in self.catalog.customers.values():
            self.companies.add(company_code(customer.erp_id))
        for order in self.catalog.orders.values():
            if order.in_erp:
                self.add_order(order.order_name)

    def add_item(self, item: StockItem) -> None:
        self.items[item.stock_code] = item
        self.stock.levels[(item.stock_code, MAIN)] = START_LEVEL

    def add_order(self, order_name: str) -> SalesOrder:
        order = self.catalog.orders[order_name]
        lines = []
        for n, line in enumerate(order.lines, start=1):
            item = self.catalog.items[line.sku]
            price, discount, tax = unit_amounts(item, line.discount)
            lines.append(
                OrderLine(str(n), stock_code(line.sku), line.quantity, price, discount, tax)
            )
        customer = self.catalog.customers[order.customer_email]
        sales_order = SalesOrder(
            code=f"SO{order.erp_order_id}",
            associated_ref=order.order_name,
            company_code=company_code(customer.erp_id),
            currency=order.currency,
            lines=lines,
        )
        self.orders[sales_order.code] = sales_order
        return sales_order

    def order_by_ref(self, ref: str) -> SalesOrder | None:
        return next((o for o in self.orders.values() if o.associated_ref == ref), None)

    def match(self, value: str, mapping_type: int) -> StockItem | None:
        """MAPPING_TYPE: 1 stock code, 2 other ref, 5 barcode, -1 automatic (code, barcode,
        other ref in turn: the fallback that can hit the wrong item)."""
        by_code = self.items.get(value)
        by_other = next((i for i in self.items.values() if i.other_ref == value), None)
        by_barcode = next((i for i in self.items.values() if i.barcode == value), None)
        if mapping_type == 1:
            return by_code
        if mapping_type == 2:
            return by_other
        if mapping_type == 5:
            return by_barcode
        return by_code or by_barcode or by_other


def company_code(erp_id: str) -> str:
    return f"CUST{erp_id}"
