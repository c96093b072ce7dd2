"""The real NetSuiteAdapter against the NetSuite sandbox over loopback HTTP.

Covers the documents of one return (RA -> receipt into holding -> credit memo -> refund), the
idempotency of every write (twice, after a lost answer, after a timeout, in a race), retries
of 429 and 5xx, the account's concurrency limit, and the rules the ERP enforces.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from adapters.erp.netsuite import NetSuiteAdapter, wire
from adapters.erp.protocol import ErpAdapter, external_id
from adapters.errors import (
    BusinessError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
    UnknownItemError,
)
from adapters.sandbox.catalog import Catalog, unit_amounts
from adapters.sandbox.netsuite import NetSuiteSandboxControl
from adapters.sandbox.server import ServedApp
from tests.adapters.netsuite_fixtures import *  # noqa: F403
from tests.adapters.netsuite_fixtures import HOLDING, MAIN, SignedClient, make_adapter
from workflows.model import (
    CreditRequest,
    ErpCredit,
    ErpDocument,
    ErpLineRequest,
    ErpOrder,
    ItemReceiptRequest,
    Money,
    OrderRef,
    RefundRequest,
    ReturnAuthorizationRequest,
)

# Fault paths: the sales-order transform (and GETs of sales orders), not the eid: look-ups.
SO_PATHS = "/services/rest/record/v1/salesOrder/"


def ra_request(order: ErpOrder, return_id: str, lines: dict[str, int] | None = None):
    wanted = lines or {ln.line: ln.quantity for ln in order.lines}
    return ReturnAuthorizationRequest(
        external_id=external_id(return_id, "ra"),
        return_id=return_id,
        order_id=order.id,
        lines=[
            ErpLineRequest(order_line=ln.line, item_id=ln.item_id, quantity=wanted[ln.line])
            for ln in order.lines
            if ln.line in wanted
        ],
        memo=f"Loop return {return_id}",
    )


def receipt_request(ra: ErpDocument, request: ReturnAuthorizationRequest) -> ItemReceiptRequest:
    return ItemReceiptRequest(
        external_id=external_id(request.return_id, "ir"),
        return_authorization_id=ra.id,
        location_id="holding",
        lines=request.lines,
    )


def credit_request(ra: ErpDocument, return_id: str) -> CreditRequest:
    return CreditRequest(external_id=external_id(return_id, "cm"), return_authorization_id=ra.id)


def refund_request(credit: ErpCredit, order: ErpOrder, return_id: str) -> RefundRequest:
    assert credit.amount is not None
    return RefundRequest(
        external_id=external_id(return_id, "rf"),
        credit_id=credit.id,
        customer_id=order.customer_id,
        amount=credit.amount,
        payment_method="4",
    )


def loop_refund(catalog: Catalog, order_name: str, skus: set[str] | None = None) -> Money:
    """Loop's figure for returning these lines: sum of (price - discount + tax) per unit."""
    order = catalog.order(order_name)
    total = Decimal(0)
    for line in order.lines:
        if skus is None or line.sku in skus:
            price, discount, tax = unit_amounts(catalog.item(line.sku), line.discount)
            total += (price - discount + tax) * line.quantity
    return Money(amount=total, currency=order.currency)


async def count(control: NetSuiteSandboxControl, record_type: str) -> int:
    return len(await control.records(record_type))


# --- reads -------------------------------------------------------------------------------


async def test_adapter_satisfies_protocol(netsuite_adapter: NetSuiteAdapter) -> None:
    assert isinstance(netsuite_adapter, ErpAdapter)
    assert netsuite_adapter.system == "netsuite"


async def test_find_sales_order_by_shopify_name(netsuite_adapter: NetSuiteAdapter) -> None:
    order = await netsuite_adapter.find_sales_order(OrderRef(order_name="#1001"))
    assert (order.id, order.tran_id, order.customer_id, order.currency) == (
        "9001",
        "SO9001",
        "101",
        "GBP",
    )
    assert [(ln.line, ln.sku, ln.quantity) for ln in order.lines] == [
        ("1", "TEE-BLK-M", 2),
        ("3", "SCF-RED-OS", 1),  # NetSuite line ids are not sequential
    ]
    assert order.lines[0].rate == Decimal("25.00")
    assert order.lines[0].amount == Decimal("50.00")
    assert order.ship_to is not None
    assert (order.ship_to.zip, order.ship_to.country_code) == ("N1 9GU", "GB")


async def test_discounted_rate_and_tranid_lookup(netsuite_adapter: NetSuiteAdapter) -> None:
    order = await netsuite_adapter.find_sales_order(OrderRef(order_number="SO9002"))
    assert order.id == "9002"
    assert order.lines[0].rate == Decimal("162.00")  # 180.00 less the 18.00 discount


async def test_missing_and_deleted_orders_are_not_found(
    netsuite_adapter: NetSuiteAdapter, netsuite_control: NetSuiteSandboxControl
) -> None:
    with pytest.raises(NotFoundError):
        await netsuite_adapter.find_sales_order(OrderRef(order_name="#9999"))
    with pytest.raises(NotFoundError):
        await netsuite_adapter.get_sales_order("424242")
    await netsuite_control.delete_order("9004")
    with pytest.raises(NotFoundError):
        await netsuite_adapter.find_sales_order(OrderRef(order_name="#1004"))


async def test_resolve_items(netsuite_adapter: NetSuiteAdapter) -> None:
    found = await netsuite_adapter.resolve_items(["TEE-BLK-M", "BAG-TAN-OS", "TEE-BLK-M"])
    assert found == {"TEE-BLK-M": "501", "BAG-TAN-OS": "507"}
    with pytest.raises(UnknownItemError) as caught:
        await netsuite_adapter.resolve_items(["TEE-BLK-M", "NOPE-1", "NOPE-2"])
    assert caught.value.skus == ["NOPE-1", "NOPE-2"]


async def test_governance_limits(
    netsuite_adapter: NetSuiteAdapter, netsuite_control: NetSuiteSandboxControl
) -> None:
    assert await netsuite_adapter.concurrency_limit() == 5
    await netsuite_control.governance(concurrency_limit=15, integration_limit=4)
    assert await netsuite_adapter.concurrency_limit() == 4
    await netsuite_control.governance(clear_integration_limit=True)
    assert await netsuite_adapter.concurrency_limit() == 15
    await netsuite_control.governance(readable=False)
    assert await netsuite_adapter.concurrency_limit() is None


# --- the documents of one return ---------------------------------------------------------


async def test_full_return(
    netsuite_adapter: NetSuiteAdapter,
    netsuite_control: NetSuiteSandboxControl,
    netsuite_catalog: Catalog,
) -> None:
    order = await netsuite_adapter.find_sales_order(OrderRef(order_name="#1003"))
    request = ra_request(order, "r-full")
    ra = await netsuite_adapter.create_return_authorization(request)
    assert (ra.external_id, ra.status) == ("loop-r-full-ra", "B")  # Pending Receipt

    sneaker = order.lines[0].item_id
    sellable_before = await netsuite_control.on_hand(sneaker, MAIN)
    calls_before = len(await netsuite_control.login_audit())
    receipt = await netsuite_adapter.receive_return(receipt_request(ra, request))
    assert receipt.external_id == "loop-r-full-ir"
    calls = [
        (a["method"], a["path"].rsplit("/", 2)[-2]) for a in await netsuite_control.login_audit()
    ]
    # the RA's lines, then the transform; a receipt has nothing to read back but its id
    assert calls[calls_before:] == [("GET", "returnAuthorization"), ("POST", "!transform")]
    assert receipt.id == (await netsuite_control.records("itemReceipt"))[0]["id"]
    assert await netsuite_control.on_hand(sneaker, HOLDING) == 1  # on hand, not sellable
    assert await netsuite_control.on_hand(sneaker, MAIN) == sellable_before
    inventory = (await netsuite_control.dump(with_records=False))["inventory"]
    assert all(row["available"] == 0 for row in inventory if row["location"] == HOLDING)
    found = await netsuite_adapter.find_document("return_authorization", ra.external_id)
    assert found is not None and found.status == "F"  # Pending Refund

    credit = await netsuite_adapter.create_credit(credit_request(ra, "r-full"))
    loop = loop_refund(netsuite_catalog, "#1003")
    assert credit.amount == loop  # the ERP's figure equals Loop's
    assert credit.amount == credit.subtotal + credit.tax - credit.discount
    assert (credit.subtotal.amount, credit.tax.amount) == (Decimal("142.50"), Decimal("28.50"))

    refund = await netsuite_adapter.issue_refund(refund_request(credit, order, "r-full"))
    assert refund.amount == loop
    ra_after = await netsuite_adapter.find_document("return_authorization", ra.external_id)
    cm_after = await netsuite_adapter.find_document("credit_memo", credit.external_id)
    assert ra_after is not None and ra_after.status == "G"  # Refunded
    assert isinstance(cm_after, ErpCredit) and cm_after.status == "B"  # Fully Applied

    [cm] = await netsuite_control.records("creditMemo")
    assert cm["createdFrom"]["id"] == ra.id
    [rf] = await netsuite_control.records("customerRefund")
    assert rf["apply"]["items"][0]["doc"]["id"] == credit.id
    assert rf["paymentMethod"]["id"] == "4" and rf["account"]["id"] == "1"


async def test_partial_return_maps_order_lines_to_ra_lines(
    netsuite_adapter: NetSuiteAdapter,
    netsuite_control: NetSuiteSandboxControl,
    netsuite_catalog: Catalog,
) -> None:
    order = await netsuite_adapter.find_sales_order(OrderRef(order_name="#1001"))
    request = ra_request(order, "r-part", {"3": 1})  # only the scarf
    ra = await netsuite_adapter.create_return_authorization(request)
    [ra_record] = await netsuite_control.records("returnAuthorization")
    [line] = ra_record["item"]["items"]
    assert line["orderLine"] == 3 and line["line"] != 3  # its own line id, pointing back

    await netsuite_adapter.receive_return(receipt_request(ra, request))
    assert await netsuite_control.on_hand("506", HOLDING) == 1
    assert await netsuite_control.on_hand("501", HOLDING) == 0
    credit = await netsuite_adapter.create_credit(credit_request(ra, "r-part"))
    assert credit.amount == loop_refund(netsuite_catalog, "#1001", {"SCF-RED-OS"})


async def test_every_write_twice_leaves_one_record(
    netsuite_adapter: NetSuiteAdapter, netsuite_control: NetSuiteSandboxControl
) -> None:
    order = await netsuite_adapter.get_sales_order("9002")
    request = ra_request(order, "r-twice")
    ra = await netsuite_adapter.create_return_authorization(request)
    assert await netsuite_adapter.create_return_authorization(request) == ra
    receipt = await netsuite_adapter.receive_return(receipt_request(ra, request))
    assert await netsuite_adapter.receive_return(receipt_request(ra, request)) == receipt
    credit = await netsuite_adapter.create_credit(credit_request(ra, "r-twice"))
    assert await netsuite_adapter.create_credit(credit_request(ra, "r-twice")) == credit
    refund = await netsuite_adapter.issue_refund(refund_request(credit, order, "r-twice"))
    assert await netsuite_adapter.issue_refund(refund_request(credit, order, "r-twice")) == refund
    for record_type in ("returnAuthorization", "itemReceipt", "creditMemo", "customerRefund"):
        assert await count(netsuite_control, record_type) == 1, record_type
    assert await netsuite_control.on_hand(order.lines[0].item_id, HOLDING) == 1


async def test_lost_answers_still_leave_one_record(
    netsuite_adapter: NetSuiteAdapter, netsuite_control: NetSuiteSandboxControl
) -> None:
    order = await netsuite_adapter.get_sales_order("9006")
    request = ra_request(order, "r-lost")
    await netsuite_control.lose_responses(1)
    ra = await netsuite_adapter.create_return_authorization(request)
    await netsuite_control.lose_responses(1)
    receipt = await netsuite_adapter.receive_return(receipt_request(ra, request))
    await netsuite_control.lose_responses(1)
    credit = await netsuite_adapter.create_credit(credit_request(ra, "r-lost"))
    await netsuite_control.lose_responses(1)
    refund = await netsuite_adapter.issue_refund(refund_request(credit, order, "r-lost"))

    dump = await netsuite_control.dump()
    assert dump["lostAnswers"]["lost"] == 4  # each write committed, its answer lost
    records = dump["records"]
    for record_type, doc in (
        ("returnAuthorization", ra),
        ("itemReceipt", receipt),
        ("creditMemo", credit),
        ("customerRefund", refund),
    ):
        assert [r["id"] for r in records[record_type]] == [doc.id], record_type
    assert await netsuite_control.on_hand(order.lines[0].item_id, HOLDING) == 3


async def test_timeout_after_commit_leaves_one_record(
    netsuite_served: ServedApp, netsuite_control: NetSuiteSandboxControl
) -> None:
    """The server keeps working after the client gives up; the retry finds the committed RA."""
    adapter = make_adapter(netsuite_served.url, timeout=0.25)
    try:
        order = await adapter.get_sales_order("9004")
        await netsuite_control.faults(latency_ms=400, paths=[SO_PATHS])
        ra = await adapter.create_return_authorization(ra_request(order, "r-slow"))
    finally:
        await adapter.aclose()
    [record] = await netsuite_control.records("returnAuthorization")
    assert record["id"] == ra.id and record["externalId"] == "loop-r-slow-ra"


async def test_racing_creates_leave_one_record(
    netsuite_adapter: NetSuiteAdapter, netsuite_control: NetSuiteSandboxControl
) -> None:
    """Both callers miss the eid: look-up; the loser's duplicate-external-id refusal is read as
    'already there' and answered with the winner's RA."""
    order = await netsuite_adapter.get_sales_order("9005")
    request = ra_request(order, "r-race")
    await netsuite_control.faults(latency_ms=150, paths=[SO_PATHS])
    first, second = await asyncio.gather(
        netsuite_adapter.create_return_authorization(request),
        netsuite_adapter.create_return_authorization(request),
    )
    assert first == second
    assert await count(netsuite_control, "returnAuthorization") == 1


async def test_429_and_5xx_are_retried(
    netsuite_adapter: NetSuiteAdapter, netsuite_control: NetSuiteSandboxControl
) -> None:
    await netsuite_control.faults(fail_next=[429, 503])
    order = await netsuite_adapter.get_sales_order("9001")
    assert order.id == "9001"
    await netsuite_control.faults(fail_next=[500, 429], paths=[SO_PATHS])
    ra = await netsuite_adapter.create_return_authorization(ra_request(order, "r-retry"))
    faults = (await netsuite_control.dump(with_records=False))["faults"]
    assert faults["injected"] == {"429": 1, "500": 1}
    assert [r["id"] for r in await netsuite_control.records("returnAuthorization")] == [ra.id]


async def test_persistent_429_raises_rate_limited(
    netsuite_adapter: NetSuiteAdapter, netsuite_control: NetSuiteSandboxControl
) -> None:
    await netsuite_control.faults(rate_429=1.0)
    with pytest.raises(RateLimitedError):
        await netsuite_adapter.get_sales_order("9001")


# --- concurrency governance ---------------------------------------------------------------


async def test_one_request_over_the_limit_gets_429(
    netsuite_raw: SignedClient, netsuite_control: NetSuiteSandboxControl
) -> None:
    await netsuite_control.governance(concurrency_limit=3)
    await netsuite_control.faults(latency_ms=300)
    responses = await asyncio.gather(
        *(netsuite_raw.request("GET", wire.record_path("salesOrder", "9001")) for _ in range(4))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 200, 429]
    refused = next(r for r in responses if r.status_code == 429).json()
    assert refused["o:errorDetails"][0]["o:errorCode"] == "CONCURRENCY_LIMIT_EXCEEDED"
    assert refused["o:errorDetails"][0]["detail"] == (
        "Concurrent request limit exceeded. Request blocked."
    )
    governance = (await netsuite_control.dump(with_records=False))["governance"]
    assert (governance["peak"], governance["rejected"]) == (3, 1)


async def test_adapter_semaphore_stays_under_the_limit(
    netsuite_served: ServedApp, netsuite_control: NetSuiteSandboxControl
) -> None:
    await netsuite_control.governance(concurrency_limit=2)
    await netsuite_control.faults(latency_ms=40)
    adapter = make_adapter(netsuite_served.url, max_concurrency=2)
    try:
        orders = await asyncio.gather(
            *(adapter.get_sales_order(f"900{n}") for n in (1, 2, 3, 4, 5, 6))
        )
    finally:
        await adapter.aclose()
    assert [o.id for o in orders] == [f"900{n}" for n in (1, 2, 3, 4, 5, 6)]
    governance = (await netsuite_control.dump(with_records=False))["governance"]
    assert governance["rejected"] == 0 and governance["peak"] == 2


# --- the rules NetSuite enforces ----------------------------------------------------------


async def test_cannot_return_more_than_sold(netsuite_adapter: NetSuiteAdapter) -> None:
    order = await netsuite_adapter.get_sales_order("9001")
    first = ra_request(order, "r-a")
    await netsuite_adapter.create_return_authorization(first)
    with pytest.raises(BusinessError) as caught:
        await netsuite_adapter.create_return_authorization(ra_request(order, "r-b", {"1": 1}))
    assert caught.value.code == "USER_ERROR"
    assert caught.value.details["paths"] == ["item.items[0].quantity"]


async def test_cannot_receive_more_than_authorized(netsuite_adapter: NetSuiteAdapter) -> None:
    order = await netsuite_adapter.get_sales_order("9006")  # 3 black tees, L
    request = ra_request(order, "r-over", {"1": 2})
    ra = await netsuite_adapter.create_return_authorization(request)
    too_many = receipt_request(ra, request).model_copy(
        update={"lines": [request.lines[0].model_copy(update={"quantity": 3})]}
    )
    with pytest.raises(BusinessError) as caught:
        await netsuite_adapter.receive_return(too_many)
    assert "more than 2" in caught.value.message


async def test_credit_needs_a_receipt_unless_refund_in_advance(
    netsuite_adapter: NetSuiteAdapter, netsuite_control: NetSuiteSandboxControl
) -> None:
    order = await netsuite_adapter.get_sales_order("9004")
    ra = await netsuite_adapter.create_return_authorization(ra_request(order, "r-keep"))
    with pytest.raises(BusinessError) as caught:
        await netsuite_adapter.create_credit(credit_request(ra, "r-keep"))
    assert not isinstance(caught.value, ConflictError)
    assert "before its items are received" in caught.value.message
    await netsuite_control.preferences(allow_refund_in_advance=True)
    credit = await netsuite_adapter.create_credit(credit_request(ra, "r-keep"))
    assert credit.amount == Money.of("107.99", "GBP")  # 89.99 + 18.00 VAT


async def test_unknown_location_is_invalid_content(netsuite_adapter: NetSuiteAdapter) -> None:
    order = await netsuite_adapter.get_sales_order("9002")
    request = ra_request(order, "r-loc")
    ra = await netsuite_adapter.create_return_authorization(request)
    bad = receipt_request(ra, request).model_copy(update={"location_id": "77"})
    with pytest.raises(BusinessError) as caught:
        await netsuite_adapter.receive_return(bad)
    assert caught.value.code == "INVALID_CONTENT"
    assert caught.value.details["paths"] == ["item.items[0].location"]


async def test_external_ids_share_one_pool_across_transactions(
    netsuite_adapter: NetSuiteAdapter, netsuite_control: NetSuiteSandboxControl
) -> None:
    order = await netsuite_adapter.get_sales_order("9002")
    ra = await netsuite_adapter.create_return_authorization(ra_request(order, "r-pool"))
    clash = ReturnAuthorizationRequest(
        external_id="LOOP-R-POOL-RA",  # case-insensitive: the same key
        return_id="r-pool",
        order_id="9001",
        lines=[ErpLineRequest(order_line="1", item_id="501", quantity=1)],
    )
    assert await netsuite_adapter.create_return_authorization(clash) == ra  # found, not made
    with pytest.raises(ConflictError):  # a credit memo cannot reuse the RA's external id
        await netsuite_adapter.create_credit(
            CreditRequest(external_id=ra.external_id, return_authorization_id=ra.id)
        )
    assert await netsuite_adapter.find_document("credit_memo", ra.external_id) is None
    assert await count(netsuite_control, "creditMemo") == 0


async def test_unknown_field_names_fail_loudly(netsuite_raw: SignedClient) -> None:
    path = wire.transform_path("salesOrder", "9001", "returnAuthorization")
    body = {"externalId": "raw-1", "item": {"items": [{"orderLine": 1, "quantty": 1}]}}
    strict = {wire.PROPERTY_NAME_VALIDATION: "Error"}
    response = await netsuite_raw.request("POST", path, body=body, headers=strict)
    assert response.status_code == 400
    detail = response.json()["o:errorDetails"][0]
    assert (detail["o:errorCode"], detail["o:errorPath"]) == (
        "INVALID_CONTENT",
        "item.items[0].quantty",
    )
    lenient = await netsuite_raw.request("POST", path, body=body)  # NetSuite's default: Warning
    assert lenient.status_code == 204
    assert lenient.headers["Location"].rsplit("/", 2)[-2] == "returnAuthorization"


async def test_suiteql_shapes_and_paging(netsuite_raw: SignedClient) -> None:
    transient = {"Prefer": "transient"}
    query = {
        "q": "SELECT id, itemid FROM item WHERE id IN (?, ?, ?)",
        "params": ["501", "502", "503"],
    }
    page = await netsuite_raw.request(
        "POST",
        wire.SUITEQL_PATH,
        params={"limit": "2", "offset": "0"},
        body=query,
        headers=transient,
    )
    reply = page.json()
    assert (reply["count"], reply["hasMore"], reply["totalResults"]) == (2, True, 3)
    assert reply["items"][0] == {"links": [], "id": "501", "itemid": "TEE-BLK-M"}
    assert [link["rel"] for link in reply["links"]] == ["self", "next"]
    no_prefer = await netsuite_raw.request("POST", wire.SUITEQL_PATH, body=query)
    assert no_prefer.status_code == 400
    unknown = await netsuite_raw.request(
        "POST", wire.SUITEQL_PATH, body={"q": "SELECT * FROM employee"}, headers=transient
    )
    assert unknown.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_REQUEST"


async def test_inventory_moves_after_inspection(
    netsuite_adapter: NetSuiteAdapter,
    netsuite_control: NetSuiteSandboxControl,
    netsuite_raw: SignedClient,
) -> None:
    order = await netsuite_adapter.get_sales_order("9006")  # 3 black tees, L (item 502)
    request = ra_request(order, "r-inv")
    ra = await netsuite_adapter.create_return_authorization(request)
    await netsuite_adapter.receive_return(receipt_request(ra, request))
    restock = {
        "externalId": "loop-r-inv-it",
        "location": {"id": HOLDING},
        "transferLocation": {"id": MAIN},
        "inventory": {"items": [{"item": {"id": "502"}, "adjustQtyBy": 2}]},
    }
    scrap = {
        "externalId": "loop-r-inv-ia",
        "account": {"id": "3"},
        "inventory": {
            "items": [{"item": {"id": "502"}, "location": {"id": HOLDING}, "adjustQtyBy": -1}]
        },
    }
    strict = {wire.PROPERTY_NAME_VALIDATION: "Error"}
    for record_type, body in (("inventoryTransfer", restock), ("inventoryAdjustment", scrap)):
        response = await netsuite_raw.request(
            "POST", wire.record_path(record_type), body=body, headers=strict
        )
        assert response.status_code == 204, response.text
    assert await netsuite_control.on_hand("502", HOLDING) == 0
    assert await netsuite_control.on_hand("502", MAIN) == 102
    too_many = {**scrap, "externalId": "loop-r-inv-ia2"}
    response = await netsuite_raw.request(
        "POST", wire.record_path("inventoryAdjustment"), body=too_many, headers=strict
    )
    assert response.status_code == 400  # no negative stock


def _one_line_order(**fields: Any) -> dict[str, Any]:
    """A sales order body for an upsert: customer 101, one unit of item 503."""
    return {
        "entity": {"id": "101"},
        **fields,
        "item": {"items": [{"item": {"id": "503"}, "quantity": 1}]},
    }


async def test_sales_order_upsert_by_external_id(
    netsuite_raw: SignedClient, netsuite_control: NetSuiteSandboxControl
) -> None:
    path = wire.record_path("salesOrder", "eid:loop-x1-so")
    body = _one_line_order()
    created = await netsuite_raw.request("PUT", path, body=body)
    assert created.status_code == 204
    body["item"]["items"][0]["quantity"] = 2
    updated = await netsuite_raw.request("PUT", path, body=body)
    assert updated.headers["Location"] == created.headers["Location"]
    orders = [r for r in await netsuite_control.records("salesOrder") if r.get("externalId")]
    assert len(orders) == 1
    assert orders[0]["item"]["items"][0]["quantity"] == 2
    assert orders[0]["total"] == Decimal("60.00")  # 2 x (25.00 + 5.00 VAT)


async def test_an_upserted_order_is_found_by_its_current_name_only(
    netsuite_raw: SignedClient, netsuite_adapter: NetSuiteAdapter
) -> None:
    """The sandbox indexes orders by name: a rename by upsert must move the order with it."""
    path = wire.record_path("salesOrder", "eid:loop-x2-so")
    body = _one_line_order(otherRefNum="#X2-OLD")
    assert (await netsuite_raw.request("PUT", path, body=body)).status_code == 204
    first = await netsuite_adapter.find_sales_order(OrderRef(order_name="#X2-OLD"))
    body["otherRefNum"] = "#X2-NEW"
    assert (await netsuite_raw.request("PUT", path, body=body)).status_code == 204
    renamed = await netsuite_adapter.find_sales_order(OrderRef(order_name="#X2-NEW"))
    assert renamed.id == first.id
    with pytest.raises(NotFoundError):
        await netsuite_adapter.find_sales_order(OrderRef(order_name="#X2-OLD"))
