"""Tolerant parsing: ids and money in any of Loop's forms, unknown fields ignored, clear errors."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.loop.payload import PayloadError, parse_return, parse_webhook, to_decimal, to_id
from adapters.loop.signature import loop_json
from adapters.sandbox.catalog import demo_catalog, unit_amounts
from adapters.sandbox.loop.payloads import (
    giftcard_event,
    label_event,
    processing_failed_event,
    restock_event,
    return_event,
)
from adapters.sandbox.loop.returns import IdPool, ReturnSpec, build_return
from workflows.model import ReturnOutcome

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CATALOG = demo_catalog()


def loop_return(**spec: Any) -> dict[str, Any]:
    """A return object as the sandbox (and so Loop's documented shape) has it."""
    spec.setdefault("order_name", "#1002")
    return build_return(ReturnSpec(**spec), CATALOG, IdPool(), NOW)


def test_a_documented_return_object_parses_completely() -> None:
    obj = loop_return(order_name="#1002", handling_fee="3.00")
    ret = parse_return(obj, storefront="uk")
    price, discount, tax = unit_amounts(CATALOG.item("JKT-NVY-M"), Decimal("18.00"))
    assert (ret.return_id, ret.storefront, ret.state, ret.currency) == (
        "100001",
        "uk",
        "open",
        "GBP",
    )
    assert ret.outcome is ReturnOutcome.REFUND
    assert ret.order.model_dump() == {
        "loop_order_id": "2802",  # a JSON number on the wire, a str here
        "order_name": "#1002",
        "order_number": "1002",
        "provider_order_id": "5800002",
    }
    assert ret.customer.email == "alan@example.com" and ret.customer.last_name == "Turing"
    assert ret.address.country_code == "GB" and ret.address.zip == "N1 9GU"
    [line] = ret.lines
    assert (line.sku, line.quantity, line.variant_id, line.product_id) == (
        "JKT-NVY-M",
        1,
        "40004",
        "7004",
    )
    assert (line.price.amount, line.discount.amount, line.tax.amount) == (price, discount, tax)
    assert line.reason == "Item was too big" and line.parent_reason == "Item didn't fit"
    assert ret.totals.return_total.amount == price - discount + tax
    assert ret.totals.refund.amount == price - discount + tax - Decimal("3.00")
    assert ret.totals.handling_fee.amount == Decimal("3.00")
    assert ret.created_at == NOW and ret.carrier is None and ret.tracking_number is None
    assert ret.label_status == "new"


def test_units_are_one_row_each() -> None:
    ret = parse_return(loop_return(order_name="#1001"))
    assert [line.sku for line in ret.lines] == ["TEE-BLK-M", "TEE-BLK-M", "SCF-RED-OS"]
    assert {line.quantity for line in ret.lines} == {1}
    assert len({line.line_item_id for line in ret.lines}) == 3


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("refund", ReturnOutcome.REFUND),
        ("credit", ReturnOutcome.STORE_CREDIT),
        ("gift_card", ReturnOutcome.STORE_CREDIT),
        ("Store-Credit", ReturnOutcome.STORE_CREDIT),
        ("exchange", ReturnOutcome.EXCHANGE),
        ("upsell", ReturnOutcome.EXCHANGE),
        ("keep_item", ReturnOutcome.KEEP_ITEM),
        ("keep", ReturnOutcome.KEEP_ITEM),
        ("donate", ReturnOutcome.DONATE),
    ],
)
def test_outcomes_map(wire: str, expected: ReturnOutcome) -> None:
    assert parse_return({**loop_return(), "outcome": wire}).outcome is expected


def test_an_unknown_outcome_is_a_refund_only_when_loop_refunds_money() -> None:
    assert parse_return({**loop_return(), "outcome": "mystery"}).outcome is ReturnOutcome.REFUND
    assert parse_return({**loop_return(), "outcome": None}).outcome is ReturnOutcome.REFUND
    with pytest.raises(PayloadError, match="outcome") as err:
        parse_return({**loop_return(), "outcome": "mystery", "refund": "0.00"})
    assert err.value.field == "outcome"


@settings(database=None)
@given(amount=st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
def test_money_reads_the_same_from_a_string_or_a_number(amount: Decimal) -> None:
    as_text = to_decimal(str(amount), "refund")
    assert as_text == amount
    assert to_decimal(f"  {amount} ", "refund") == amount
    assert to_decimal(float(amount), "refund") == amount
    if amount == amount.to_integral_value():
        assert to_decimal(int(amount), "refund") == amount
    obj = {**loop_return(), "refund": float(amount), "return_total": str(amount)}
    ret = parse_return(obj)
    assert ret.totals.refund.amount == amount == ret.totals.return_total.amount


@settings(database=None)
@given(number=st.integers(min_value=0, max_value=10**15))
def test_ids_read_the_same_from_a_string_or_a_number(number: int) -> None:
    assert to_id(number, "id") == to_id(str(number), "id") == to_id(f" {number} ", "id")
    assert to_id(float(min(number, 2**52)), "id") == str(min(number, 2**52))
    ret = parse_return({**loop_return(), "id": number, "order_id": str(number)})
    assert ret.return_id == str(number) == ret.order.loop_order_id


def test_null_money_is_zero_in_the_returns_currency() -> None:
    obj = loop_return()
    obj.update(gift_card=None, exchange_total="", handling_fee=None)
    obj["line_items"][0]["discount"] = None
    ret = parse_return(obj)
    assert ret.totals.gift_card.amount == 0 and ret.totals.gift_card.currency == "GBP"
    assert ret.totals.exchange_total.amount == 0 and ret.lines[0].discount.amount == 0


@pytest.mark.parametrize("bad", ["12,50", "abc", "NaN", "Infinity", True, {}, [1]])
def test_unparseable_money_names_the_field(bad: Any) -> None:
    with pytest.raises(PayloadError) as err:
        parse_return({**loop_return(), "return_total": bad})
    assert err.value.field == "return_total"
    obj = loop_return()
    obj["line_items"][0]["tax"] = bad
    with pytest.raises(PayloadError, match=r"line_items\[0\]\.tax"):
        parse_return(obj)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": None}, "id"),
        ({"id": True}, "id"),
        ({"id": 1.5}, "id"),
        ({"currency": None}, "currency"),
        ({"currency": "pounds"}, "currency"),
        ({"line_items": "none"}, "line_items"),
        ({"line_items": ["x"]}, "line_items[0]"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"updated_at": 1e300}, "updated_at"),
    ],
)
def test_unusable_returns_raise_payload_errors(change: dict, field: str) -> None:
    with pytest.raises(PayloadError) as err:
        parse_return({**loop_return(), **change})
    assert err.value.field == field
    assert field in str(err.value)


def test_timestamps_in_every_form_loop_uses() -> None:
    for stamp in (
        "2026-03-01T12:00:00Z",
        "2026-03-01T12:00:00+00:00",
        "2026-03-01T12:00:00.000Z",
        "2026-03-01 12:00:00",
    ):
        assert parse_return({**loop_return(), "created_at": stamp}).created_at == NOW


def test_line_quirks_are_tolerated() -> None:
    obj = loop_return()
    line = obj["line_items"][0]
    line.update(sku=None, exchange_variant="", line_item_id=991, variant_id=40004)
    del line["parent_return_reason"]
    line["parent_reason"] = "Fit"
    [parsed] = parse_return(obj).lines
    assert (parsed.sku, parsed.exchange_variant, parsed.line_item_id) == ("", None, "991")
    assert (parsed.variant_id, parsed.parent_reason) == ("40004", "Fit")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(database=None)
@given(extra=st.dictionaries(st.text(min_size=1, max_size=12), json_values, max_size=6))
def test_unknown_fields_are_tolerated(extra: dict[str, Any]) -> None:
    base = loop_return()
    obj = {**{k: v for k, v in extra.items() if k not in base}, **base}
    obj["line_items"] = [{**extra, **line} for line in base["line_items"]]
    assert parse_return(obj) == parse_return(base)


# --- webhooks -----------------------------------------------------------------------------


def test_each_topic_reads_the_return_id_from_its_own_field() -> None:
    ret = loop_return(outcome="store_credit")
    ret["gift_card_order_id"] = 5500001
    bodies = {
        "return": return_event("return.created", ret),
        "label": label_event("label.updated", ret, "shp_1"),
        "restock": restock_event(ret),
        "giftcard": giftcard_event(ret, 5500001),  # its `id` is the gift card's
        "return.processing": processing_failed_event(ret, "declined"),  # an int return_id
    }
    for topic, payload in bodies.items():
        raw = loop_json(payload)
        event = parse_webhook(raw, NOW)
        assert (event.topic, event.return_id) == (topic, "100001"), topic
        assert event.digest == hashlib.sha256(raw).hexdigest()
        assert event.received_at == NOW
        assert (event.return_request is not None) == (topic == "return")
    processing = parse_webhook(loop_json(bodies["return.processing"]), NOW)
    assert processing.state == "open" and processing.trigger == "return.processing.failed"


def test_a_return_webhook_carries_the_parsed_return() -> None:
    raw = loop_json(return_event("return.created", loop_return(outcome="exchange")))
    event = parse_webhook(raw, NOW)
    assert event.state == "open" and event.trigger == "return.created"
    assert event.return_request is not None
    assert event.return_request.outcome is ReturnOutcome.EXCHANGE


def test_a_label_webhook_carries_tracking() -> None:
    ret = {
        **loop_return(),
        "carrier": "Royal Mail",
        "tracking_number": "RM1",
        "label_status": "in_transit",
    }
    event = parse_webhook(loop_json(label_event("label.updated", ret, "shp_1")), NOW)
    assert (event.carrier, event.tracking_number, event.label_status) == (
        "Royal Mail",
        "RM1",
        "in_transit",
    )


@pytest.mark.parametrize(
    ("raw", "field", "not_json"),
    [
        (b"", "<body>", True),
        (b"{not json", "<body>", True),
        (b"\xff\xfe", "<body>", True),
        (b"[1, 2]", "<body>", False),
        (b'"true"', "<body>", False),
        (b'{"trigger": "return.created", "id": "1"}', "topic", False),
        (b'{"topic": "return", "id": "1"}', "trigger", False),
        (b'{"topic": "label", "trigger": "label.updated"}', "id", False),
        (b'{"topic": "giftcard", "trigger": "giftcard.requested", "id": 7}', "return_id", False),
        (b'{"topic": "return", "trigger": "return.created", "id": "1"}', "currency", False),
    ],
)
def test_malformed_webhooks_raise_payload_errors(raw: bytes, field: str, not_json: bool) -> None:
    with pytest.raises(PayloadError) as err:
        parse_webhook(raw, NOW)
    assert (err.value.field, err.value.not_json) == (field, not_json)


@settings(database=None)
@given(raw=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_any_body_parses_or_raises_payload_error(raw: bytes) -> None:
    try:
        parse_webhook(raw, NOW)
    except PayloadError:
        pass


@settings(database=None)
@given(
    obj=st.dictionaries(
        st.sampled_from(
            [
                "topic",
                "trigger",
                "id",
                "return_id",
                "currency",
                "outcome",
                "refund",
                "line_items",
                "state",
                "created_at",
                "customer",
                "address",
                "order_id",
            ]
        ),
        json_values,
        max_size=10,
    )
)
def test_any_object_parses_or_raises_payload_error(obj: dict[str, Any]) -> None:
    try:
        parse_webhook(json.dumps(obj).encode(), NOW)
    except PayloadError:
        pass


SAMPLE_WEBHOOK = return_event("return.updated", loop_return(order_name="#1001"))


@settings(database=None, max_examples=400)
@given(
    path=st.sampled_from(
        [(k,) for k in SAMPLE_WEBHOOK]
        + [("line_items", 0, k) for k in SAMPLE_WEBHOOK["line_items"][0]]
        + [("customer_detail", k) for k in SAMPLE_WEBHOOK["customer_detail"]]
        + [("address", k) for k in SAMPLE_WEBHOOK["address"]]
    ),
    value=json_values,
)
def test_a_mutated_return_webhook_parses_or_raises_payload_error(path: tuple, value: Any) -> None:
    obj = json.loads(json.dumps(SAMPLE_WEBHOOK))
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    try:
        parse_webhook(json.dumps(obj).encode(), NOW)
    except PayloadError:
        pass


def test_exchange_rows_carry_the_replacement_skus() -> None:
    obj = loop_return(order_name="#1001", skus=["TEE-BLK-M", "SCF-RED-OS"], outcome="exchange")
    parsed = parse_return(obj)
    assert parsed.outcome is ReturnOutcome.EXCHANGE
    assert [x.sku for x in parsed.exchanges] == ["TEE-BLK-M", "SCF-RED-OS"]
    currencies = {x.total.currency for x in parsed.exchanges if x.total is not None}
    assert currencies == {parsed.currency}
    assert parse_return(loop_return(order_name="#1001")).exchanges == []


def test_exchanges_that_are_not_a_list_name_the_field() -> None:
    obj = {**loop_return(order_name="#1001"), "exchanges": {"sku": "X"}}
    with pytest.raises(PayloadError, match="exchanges"):
        parse_return(obj)
