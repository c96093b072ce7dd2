"""The body of an exchange's replacement sales order (pure; the adapter does the I/O).

The memo names the Loop return, the original order and the credit it is paid from, so finance
sees the credit and the new order as one transaction. A Loop exchange order is usually
zero-value: its lines carry the rate Loop gives (0 by default).
"""

from __future__ import annotations

from typing import Any

from workflows.model import Address, SalesOrderRequest


def shipping_address(address: Address) -> dict[str, str]:
    fields = {
        "addressee": address.name,
        "addr1": address.address1,
        "addr2": address.address2,
        "city": address.city,
        "state": address.state,
        "zip": address.zip,
        "country": address.country_code,
        "addrPhone": address.phone,
    }
    return {k: v for k, v in fields.items() if v}


def memo(request: SalesOrderRequest) -> str:
    parts = [f"Exchange for Loop return {request.return_id}", f"order {request.original_order_id}"]
    if request.linked_credit_id:
        parts.append(f"paid by credit {request.linked_credit_id}")
    if request.memo:
        parts.append(request.memo)
    return "; ".join(parts)[:999]


def sales_order(request: SalesOrderRequest, currency_id: str, location_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "externalId": request.external_id,
        "entity": {"id": request.customer_id},
        "currency": {"id": currency_id},
        "location": {"id": location_id},
        "memo": memo(request),
        "item": {
            "items": [
                {"item": {"id": line.item_id}, "quantity": line.quantity, "rate": line.rate}
                for line in request.lines
            ]
        },
    }
    address = shipping_address(request.ship_to)
    if address:
        body["shippingAddress"] = address
    return body
