"""Tolerant parsing of Loop's return objects and webhooks into `workflows.model` types.

Loop's docs disagree on scalar types (ids and amounts arrive as strings or numbers, sometimes
null) and Loop adds fields without notice (additive-change policy). So ids become `str`, money a
`Decimal` from either form with null as zero, unknown fields are ignored here (callers that need
them keep the raw dict, e.g. `LoopClient.get_return_raw`), and only the fields we use are
validated. Anything we cannot use raises `PayloadError` naming the field, never a bare KeyError.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from workflows.model import (
    Address,
    Customer,
    ExchangeItem,
    LoopEvent,
    LoopTotals,
    Money,
    OrderRef,
    ReturnLine,
    ReturnOutcome,
    ReturnRequest,
)


class PayloadError(ValueError):
    """A Loop payload we cannot use; `field` names the culprit ("<body>" for the whole body)."""

    def __init__(self, field: str, problem: str, *, not_json: bool = False) -> None:
        super().__init__(f"Loop payload field {field!r}: {problem}")
        self.field = field
        self.problem = problem
        self.not_json = not_json  # the body was not JSON at all (a 400, not a 422)


# Loop does not enumerate top-level `outcome`; these are the spellings seen or plausible.
_OUTCOMES: dict[str, ReturnOutcome] = {
    "refund": ReturnOutcome.REFUND,
    "refunds": ReturnOutcome.REFUND,
    "credit": ReturnOutcome.STORE_CREDIT,
    "store_credit": ReturnOutcome.STORE_CREDIT,
    "gift_card": ReturnOutcome.STORE_CREDIT,
    "giftcard": ReturnOutcome.STORE_CREDIT,
    "exchange": ReturnOutcome.EXCHANGE,
    "upsell": ReturnOutcome.EXCHANGE,  # an exchange where the customer paid the difference
    "keep_item": ReturnOutcome.KEEP_ITEM,
    "keep": ReturnOutcome.KEEP_ITEM,
    "donate": ReturnOutcome.DONATE,
    "donation": ReturnOutcome.DONATE,
}

# Which field carries the Loop return id in each webhook topic (Loop is not uniform).
RETURN_ID_FIELD: dict[str, str] = {
    "return": "id",
    "label": "id",
    "restock": "id",
    "giftcard": "return_id",
    "return.processing": "return_id",
    "label.request": "return_id",
}

_NO_VALUE = frozenset({"", "N/A", "n/a"})


# --- scalars ------------------------------------------------------------------------------


def to_id(value: Any, field: str) -> str:
    """A required id: int or str (or an integral float) -> non-empty str."""
    parsed = opt_id(value, field)
    if parsed is None:
        raise PayloadError(field, "missing")
    return parsed


def opt_id(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise PayloadError(field, f"not an id: {value!r}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        raise PayloadError(field, f"not an id: {value!r}")
    if isinstance(value, str):
        return value.strip() or None
    raise PayloadError(field, f"not an id: {type(value).__name__}")


def to_decimal(value: Any, field: str) -> Decimal:
    """Money from a decimal string or a JSON number; null or "" is zero; never via float math."""
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, bool):
        raise PayloadError(field, f"not an amount: {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise PayloadError(field, f"not an amount: {value!r}")
        result = Decimal(repr(value))  # shortest repr: 19.99 -> Decimal("19.99")
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise PayloadError(field, f"not an amount: {value!r}") from None
    else:
        raise PayloadError(field, f"not an amount: {type(value).__name__}")
    if not result.is_finite():
        raise PayloadError(field, f"not an amount: {value!r}")
    return result


def to_money(value: Any, currency: str, field: str) -> Money:
    return Money(amount=to_decimal(value, field), currency=currency)


def opt_text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def opt_timestamp(value: Any, field: str) -> datetime | None:
    """ISO 8601 with Z or offset, or Loop's zone-less "YYYY-MM-DD HH:MM:SS" (taken as UTC)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PayloadError(field, f"not a timestamp: {type(value).__name__}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise PayloadError(field, f"not a timestamp: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _label_value(value: Any) -> str | None:
    """Loop sends "N/A" for a carrier or tracking number not assigned yet."""
    text = opt_text(value)
    return None if text is None or text in _NO_VALUE else text


# --- the return object --------------------------------------------------------------------


def parse_outcome(raw: Any, refund: Decimal) -> ReturnOutcome:
    """Map Loop's top-level `outcome`.

    Loop does not enumerate the values. An unknown or missing outcome is read as a refund only
    when Loop's `refund` figure is positive (money goes back to the customer whatever Loop calls
    it); otherwise we cannot tell refund from credit or exchange and raise PayloadError rather
    than guess which documents the ERP should get.
    """
    key = str(raw).strip().lower().replace("-", "_").replace(" ", "_") if raw is not None else ""
    if key in _OUTCOMES:
        return _OUTCOMES[key]
    if refund > 0:
        return ReturnOutcome.REFUND
    raise PayloadError("outcome", f"unknown outcome {raw!r} and no refund amount")


def _currency(obj: dict[str, Any]) -> str:
    value = obj.get("currency")
    if not isinstance(value, str) or len(value.strip()) != 3 or not value.strip().isalpha():
        raise PayloadError("currency", f"not an ISO 4217 code: {value!r}")
    return value.strip().upper()


def _line(raw: Any, index: int, currency: str) -> ReturnLine:
    where = f"line_items[{index}]"
    if not isinstance(raw, dict):
        raise PayloadError(where, "not an object")
    refund = raw.get("refund")
    return ReturnLine(
        line_item_id=to_id(raw.get("line_item_id", raw.get("id")), f"{where}.line_item_id"),
        # Shopify variants may have no SKU; an empty SKU reaches the ERP's unknown-item case.
        sku=opt_text(raw.get("sku")) or "",
        quantity=1,  # Loop sends one row per returned unit
        variant_id=opt_id(raw.get("variant_id"), f"{where}.variant_id"),
        product_id=opt_id(raw.get("product_id"), f"{where}.product_id"),
        provider_line_item_id=opt_id(
            raw.get("provider_line_item_id"), f"{where}.provider_line_item_id"
        ),
        title=opt_text(raw.get("title")),
        price=to_money(raw.get("price"), currency, f"{where}.price"),
        discount=to_money(raw.get("discount"), currency, f"{where}.discount"),
        tax=to_money(raw.get("tax"), currency, f"{where}.tax"),
        refund=None if refund is None else to_money(refund, currency, f"{where}.refund"),
        reason=opt_text(raw.get("return_reason")),
        parent_reason=opt_text(raw.get("parent_return_reason", raw.get("parent_reason"))),
        exchange_variant=opt_text(raw.get("exchange_variant")),
    )


def _exchange(raw: Any, index: int, currency: str) -> ExchangeItem:
    where = f"exchanges[{index}]"
    if not isinstance(raw, dict):
        raise PayloadError(where, "not an object")
    total = raw.get("total")
    return ExchangeItem(
        sku=opt_text(raw.get("sku")) or "",
        variant_id=opt_id(raw.get("variant_id"), f"{where}.variant_id"),
        title=opt_text(raw.get("title")),
        total=None if total is None else to_money(total, currency, f"{where}.total"),
        out_of_stock=bool(raw.get("out_of_stock")),
    )


def _customer(obj: dict[str, Any]) -> Customer:
    detail = obj.get("customer_detail")
    detail = detail if isinstance(detail, dict) else {}
    top = obj.get("customer")
    top_email = top.get("email") if isinstance(top, dict) else top
    return Customer(
        email=opt_text(detail.get("email")) or opt_text(top_email),
        first_name=opt_text(detail.get("first_name")),
        last_name=opt_text(detail.get("last_name")),
    )


def _address(obj: dict[str, Any]) -> Address:
    raw = obj.get("address")
    if not isinstance(raw, dict):
        return Address()
    fields = ("name", "address1", "address2", "city", "state", "zip", "country_code", "phone")
    return Address(**{name: opt_text(raw.get(name)) for name in fields})


def _list(obj: dict[str, Any], name: str) -> list[Any]:
    value = obj.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(name, "not a list")
    return value


def parse_return(obj: dict[str, Any], storefront: str = "default") -> ReturnRequest:
    """A Loop return object (details, list row or return webhook) as a ReturnRequest."""
    if not isinstance(obj, dict):
        raise PayloadError("<body>", f"expected an object, got {type(obj).__name__}")
    currency = _currency(obj)

    def money(name: str, fallback: str | None = None) -> Money:
        value = obj.get(name)
        if value is None and fallback is not None:
            value = obj.get(fallback)
        return to_money(value, currency, name)

    items = _list(obj, "line_items")
    totals = LoopTotals(
        return_total=money("return_total", "total"),
        refund=money("refund"),
        gift_card=money("gift_card"),
        handling_fee=money("handling_fee"),
        tax=money("return_tax_total"),
        discount=money("return_discount_total"),
        exchange_total=money("exchange_total"),
    )
    return ReturnRequest(
        return_id=to_id(obj.get("id"), "id"),
        shop_id=opt_id(obj.get("shop_id"), "shop_id"),
        storefront=storefront,
        state=opt_text(obj.get("state")) or "open",
        outcome=parse_outcome(obj.get("outcome"), totals.refund.amount),
        currency=currency,
        order=OrderRef(
            loop_order_id=opt_id(obj.get("order_id"), "order_id"),
            order_name=opt_text(obj.get("order_name")),
            order_number=opt_id(obj.get("order_number"), "order_number"),
            provider_order_id=opt_id(obj.get("provider_order_id"), "provider_order_id"),
        ),
        customer=_customer(obj),
        address=_address(obj),
        lines=[_line(raw, n, currency) for n, raw in enumerate(items)],
        totals=totals,
        exchanges=[_exchange(raw, n, currency) for n, raw in enumerate(_list(obj, "exchanges"))],
        created_at=opt_timestamp(obj.get("created_at"), "created_at"),
        updated_at=opt_timestamp(obj.get("updated_at"), "updated_at"),
        carrier=_label_value(obj.get("carrier")),
        tracking_number=_label_value(obj.get("tracking_number")),
        label_status=opt_text(obj.get("label_status")),
    )


# --- webhooks -----------------------------------------------------------------------------


def load_object(raw: bytes | str) -> dict[str, Any]:
    """The JSON object in `raw`, or PayloadError for anything else."""
    try:
        obj = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise PayloadError("<body>", "not JSON", not_json=True) from None
    if not isinstance(obj, dict):
        raise PayloadError("<body>", f"expected a JSON object, got {type(obj).__name__}")
    return obj


def _required_text(obj: dict[str, Any], field: str) -> str:
    value = obj.get(field)
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(field, "missing")
    return value.strip()


def parse_webhook(raw: bytes, received_at: datetime, *, storefront: str = "default") -> LoopEvent:
    """A Loop webhook body (verify its signature first) as a LoopEvent.

    The return id is read from the field each topic really uses (`RETURN_ID_FIELD`; topics we
    do not know use `return_id`). A `return` body embeds the whole return, which is parsed too:
    a return we cannot use raises here so the ingress can record it rather than lose it.
    The digest is over the raw bytes, so a redelivery of the same body has the same digest.
    """
    obj = load_object(raw)
    topic = _required_text(obj, "topic")
    trigger = _required_text(obj, "trigger")
    id_field = RETURN_ID_FIELD.get(topic, "return_id")
    return_id = to_id(obj.get(id_field), id_field)
    state = obj.get("return_state") if topic == "return.processing" else obj.get("state")
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=UTC)
    return LoopEvent(
        topic=topic,
        trigger=trigger,
        return_id=return_id,
        received_at=received_at,
        digest=hashlib.sha256(raw).hexdigest(),
        state=opt_text(state),
        label_status=opt_text(obj.get("label_status")),
        tracking_number=_label_value(obj.get("tracking_number")),
        carrier=_label_value(obj.get("carrier")),
        return_request=parse_return(obj, storefront) if topic == "return" else None,
    )
