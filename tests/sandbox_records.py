"""Records tests add to the sandboxes on the fly: an order the ERP gets late, a new item."""

from __future__ import annotations

from decimal import Decimal

from adapters.sandbox.catalog import CatalogItem, CatalogOrder, CatalogOrderLine
from workflows.model import Address

SHIP_TO = Address(
    name="Ada Lovelace", address1="1 High Street", city="London", zip="N1 9GU", country_code="GB"
)


def catalog_order(name: str, erp_order_id: str, email: str, *skus: str) -> CatalogOrder:
    """An order one test adds to the ERP (numbers derived from the ERP id, never reused)."""
    return CatalogOrder(
        order_name=name,
        order_number=name.lstrip("#").replace("-", ""),
        shopify_order_id=f"77{erp_order_id}",
        loop_order_id=f"66{erp_order_id}",
        erp_order_id=erp_order_id,
        customer_email=email,
        lines=[CatalogOrderLine(sku=sku) for sku in skus],
    )


def catalog_item(erp_item_id: str, sku: str, price: str = "40.00") -> CatalogItem:
    n = int(erp_item_id)
    return CatalogItem(
        sku=sku,
        erp_item_id=erp_item_id,
        title=f"Test item {sku}",
        price=Decimal(price),
        variant_id=str(90000 + n),
        product_id=str(9000 + n),
    )
