"""Load the shared demo catalog into the sandbox account, as the ERP would hold it.

Sales orders carry the Shopify order name in otherRefNum, line numbers that are not
sequential (1, 3, 5, ...), rate = price - per-unit discount and the ERP's own tax per line,
computed with `unit_amounts` so it equals Loop's figure.
"""

from __future__ import annotations

from decimal import Decimal

from adapters.sandbox.catalog import (
    Catalog,
    CatalogCustomer,
    CatalogItem,
    CatalogOrder,
    unit_amounts,
)

from .errors import invalid_content, user_error
from .store import Line, Record, Ref, Store

START_STOCK = 100  # units of each item on hand at the main location
CURRENCIES = {"1": ("US Dollar", "USD"), "2": ("British pound", "GBP"), "3": ("Euro", "EUR")}
ACCOUNTS = {
    "1": "Checking",
    "2": "Undeposited Funds",
    "3": "Inventory Shrinkage",
    "4": "Gift Card Clearing",  # bank-type clearing account: store credit Loop issued
    "5": "Shopify Payments Clearing",  # refunds the storefront already paid out
}
PAYMENT_METHODS = {
    "1": "Cash",
    "2": "Check",
    "3": "Credit Card",
    "4": "Shopify Payments",
    "5": "Gift Card",
}
VENDOR_ID = "301"  # every seeded item's preferred vendor (return-to-vendor goes here)


def seed_locations(store: Store, main_id: str, holding_id: str) -> None:
    locations = [
        (main_id, "Main Warehouse", True),
        (holding_id, "Returns - Holding", False),
        ("3", "Refurbishment", False),
        ("4", "Scrap", False),
    ]
    for loc_id, name, available in locations:
        store.add(
            Record(
                "location",
                loc_id,
                fields={
                    "name": name,
                    "makeInventoryAvailable": available,
                    "makeInventoryAvailableStore": available,
                    "isInactive": False,
                },
            )
        )


def seed_lists(store: Store) -> None:
    for cur_id, (name, symbol) in CURRENCIES.items():
        store.add(Record("currency", cur_id, fields={"name": name, "symbol": symbol}))
    for acct_id, name in ACCOUNTS.items():
        store.add(Record("account", acct_id, fields={"acctName": name}))
    for pm_id, name in PAYMENT_METHODS.items():
        store.add(Record("paymentMethod", pm_id, fields={"name": name}))
    store.add(
        Record(
            "vendor",
            VENDOR_ID,
            fields={"entityId": "Northwind Apparel Ltd", "companyName": "Northwind Apparel Ltd"},
        )
    )


def add_item(store: Store, item: CatalogItem, main_id: str) -> Record:
    if item.erp_item_id in store.records["inventoryItem"]:
        raise user_error(f"Item {item.erp_item_id} already exists.", "id")
    store.tax_logic[item.erp_item_id] = item
    store.on_hand[(item.erp_item_id, main_id)] = START_STOCK
    if VENDOR_ID in store.records["vendor"]:
        store.preferred_vendor[item.erp_item_id] = VENDOR_ID
    return store.add(
        Record(
            "inventoryItem",
            item.erp_item_id,
            fields={
                "itemId": item.sku,
                "displayName": item.title,
                "basePrice": item.price,
                "isInactive": False,
                "isOnline": True,  # "Display in Web Site": the web-sale flag
            },
        )
    )


def add_customer(store: Store, customer: CatalogCustomer) -> Record:
    if customer.erp_id in store.records["customer"]:
        raise user_error(f"Customer {customer.erp_id} already exists.", "id")
    return store.add(
        Record(
            "customer",
            customer.erp_id,
            fields={
                "entityId": f"{customer.first_name} {customer.last_name}",
                "firstName": customer.first_name,
                "lastName": customer.last_name,
                "email": customer.email,
                "isPerson": True,
            },
        )
    )


def currency_id(code: str) -> str:
    for cur_id, (_, symbol) in CURRENCIES.items():
        if symbol == code.upper():
            return cur_id
    raise invalid_content(f"Invalid value for the reference field currency: {code}.", "currency")


def priced_line(store: Store, line_no: int, item_id: str, quantity: int, rate: Decimal) -> Line:
    """A line priced by the ERP's tax logic: tax per unit on the net (discounted) rate."""
    item = store.tax_logic[item_id]
    _, _, unit_tax = unit_amounts(item, item.price - rate)
    return Line(line=line_no, item=item_id, quantity=quantity, rate=rate, unit_tax=unit_tax)


def add_order(store: Store, catalog: Catalog, order: CatalogOrder, main_id: str) -> Record:
    if order.erp_order_id in store.records["salesOrder"]:
        raise user_error(f"Sales order {order.erp_order_id} already exists.", "id")
    customer = catalog.customers.get(order.customer_email)
    if customer is None:
        raise invalid_content(f"No customer with email {order.customer_email}.", "entity")
    lines = []
    for n, line in enumerate(order.lines):
        item = catalog.items.get(line.sku)
        if item is None or item.erp_item_id not in store.tax_logic:
            raise invalid_content(f"No item {line.sku}.", f"item.items[{n}].item")
        priced = priced_line(
            store, 1 + 2 * n, item.erp_item_id, line.quantity, item.price - line.discount
        )
        priced.location = main_id
        lines.append(priced)
    return store.add(
        Record(
            "salesOrder",
            order.erp_order_id,
            fields={
                "tranId": f"SO{order.erp_order_id}",
                "otherRefNum": order.order_name,
                "entity": Ref("customer", customer.erp_id),
                "currency": Ref("currency", currency_id(order.currency)),
                "location": Ref("location", main_id),
                # the shipping address subrecord, as GET ...?expandSubResources=true shows it
                "shippingAddress": {
                    "addressee": f"{customer.first_name} {customer.last_name}",
                    "addr1": customer.address1,
                    "city": customer.city,
                    "zip": customer.zip,
                    "country": {"id": customer.country_code},
                },
                "status": "G",  # Billed: shipped and invoiced, so it can be credited
            },
            lines=lines,
        )
    )


def seed(store: Store, catalog: Catalog, *, main_id: str, holding_id: str) -> None:
    seed_locations(store, main_id, holding_id)
    seed_lists(store)
    for customer in catalog.customers.values():
        add_customer(store, customer)
    for item in catalog.items.values():
        add_item(store, item, main_id)
    for order in catalog.orders.values():
        if order.in_erp:
            add_order(store, catalog, order, main_id)
    numeric = [int(i) for i in store.records["salesOrder"] if i.isdigit()]
    store.start_ids_after(max(numeric, default=0))
