"""Webhook payloads per topic, shaped as the reference's §2 and §7 describe them.

Loop is not uniform: return, label and restock bodies carry the return id in `id`; gift card
and return-processing bodies carry it in `return_id` (and `id` is the gift card's own id).
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from adapters.sandbox.loop.returns import SHOP_ID, money

LOCATION_ID = "62000000001"  # the Shopify location Loop restocks into


def return_event(trigger: str, ret: dict[str, Any]) -> dict[str, Any]:
    return {"topic": "return", "trigger": trigger, "shop_id": SHOP_ID, **ret}


def label_event(trigger: str, ret: dict[str, Any], shipment_id: str) -> dict[str, Any]:
    return {
        "topic": "label",
        "trigger": trigger,
        "shop_id": SHOP_ID,
        "id": ret["id"],
        "order_id": ret["order_id"],
        "provider_order_id": ret["provider_order_id"],
        "carrier": ret["carrier"],
        "tracking_number": ret["tracking_number"],
        "label_status": ret["label_status"],
        "label_updated_at": ret["label_updated_at"],
        "shipment_id": shipment_id,
    }


def restock_event(ret: dict[str, Any]) -> dict[str, Any]:
    units = Counter(line["variant_id"] for line in ret["line_items"] if line["variant_id"])
    return {
        "topic": "restock",
        "trigger": "restock.requested",
        "id": ret["id"],
        "order_id": ret["order_id"],
        "provider_order_id": ret["provider_order_id"],
        "restock_items": [
            {
                "location_id": LOCATION_ID,
                "variant_id": variant,
                "inventory_item_id": f"44{variant}",
                "available_adjustment": quantity,
                "inventory_management": "shopify",
            }
            for variant, quantity in units.items()
        ],
    }


def giftcard_event(ret: dict[str, Any], gift_card_id: int) -> dict[str, Any]:
    credit = Decimal(ret["gift_card"])
    tax = min(Decimal(ret["return_tax_total"]), credit)
    detail = ret["customer_detail"]
    number = ret["order_number"]
    return {
        "topic": "giftcard",
        "trigger": "giftcard.requested",
        "id": gift_card_id,
        "total_credit_issued": money(credit),
        "gift_card_subtotal": money(credit - tax),
        "gift_card_tax": money(tax),
        "gift_card_bonus_credit": money(Decimal(0)),
        "currency": ret["currency"],
        "return_id": ret["id"],
        "email": detail["email"],
        "first_name": detail["first_name"],
        "last_name": detail["last_name"],
        "external_order_id": ret["provider_order_id"],
        "external_order_name": ret["order_name"],
        "external_order_number": int(number) if str(number).isdigit() else None,
    }


def processing_failed_event(ret: dict[str, Any], message: str | None) -> dict[str, Any]:
    return_id = ret["id"]
    return {
        "topic": "return.processing",
        "trigger": "return.processing.failed",
        "return_id": int(return_id) if str(return_id).isdigit() else return_id,
        "return_state": ret["state"],
        "message": message,
        "source": "api",
    }
