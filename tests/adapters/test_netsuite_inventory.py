"""NetSuite after inspection, through the sandbox over loopback: stock moves out of holding
(transfer, write-off, vendor return), store credit and storefront refunds against the credit,
availability for exchanges, exchange orders, closing an RA, and the ledger listing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from adapters.erp.netsuite import NetSuiteAdapter
from adapters.erp.netsuite.books import NetSuiteBooks
from adapters.erp.protocol import external_id
from adapters.errors import BusinessError, ConflictError, RetryableError
from adapters.sandbox.netsuite import NetSuiteSandboxControl
from adapters.sandbox.server import ServedApp
from tests.adapters.netsuite_fixtures import *  # noqa: F403
from tests.adapters.netsuite_fixtures import HOLDING, MAIN, make_adapter
from tests.adapters.test_netsuite_adapter import credit_request, ra_request, receipt_request
from tests.sandbox_records import SHIP_TO, catalog_order
from workflows.model import (
    CloseAuthorizationRequest,
    Disposition,
    DispositionRequest,
    ErpDocument,
    ErpDocumentKind,
    ErpLineRequest,
    Money,
    OrderRef,
    RefundRequest,
    SalesOrderLine,
    SalesOrderRequest,
    StoreCreditRequest,
)

REFURB = "3"
TEE, SCARF = "501", "506"  # order #1001: two black tees (line 1), one scarf (line 3)
SANDBOX_BOOKS = NetSuiteBooks(
    locations={"sellable": MAIN, "refurb": REFURB},
    scrap_account_id="3",
    store_credit_account_id="4",
    store_credit_payment_method_id="5",
    storefront_refund_account_id="5",
)


@pytest.fixture
async def adapter(
    netsuite_served: ServedApp, netsuite_control: NetSuiteSandboxControl
) -> AsyncIterator[NetSuiteAdapter]:
    ns = make_adapter(netsuite_served.url, books=SANDBOX_BOOKS)
    ns.ledger_page_size = 2  # small pages, so listings really page
    yield ns
    await ns.aclose()


async def received(adapter: NetSuiteAdapter, return_id: str, order_name: str = "#1001"):
    """An RA for the whole order, received into holding; returns (order, RA, receipt)."""
    order = await adapter.find_sales_order(OrderRef(order_name=order_name))
    request = ra_request(order, return_id)
    ra = await adapter.create_return_authorization(request)
    receipt = await adapter.receive_return(receipt_request(ra, request))
    return order, ra, receipt


def disposition(
    return_id: str,
    what: Disposition,
    receipt: ErpDocument,
    lines: dict[str, int],
    to: str | None = None,
    n: int = 1,
) -> DispositionRequest:
    return DispositionRequest(
        external_id=external_id(return_id, "dp", n),
        return_id=return_id,
        disposition=what,
        item_receipt_id=receipt.id,
        from_location_id="holding",
        to_location_id=to,
        lines=[ErpLineRequest(order_line="", item_id=i, quantity=q) for i, q in lines.items()],
        reason="torn seam" if what is Disposition.SCRAP else None,
    )


# --- stock: only inspection moves units out of holding ------------------------------------


async def test_receipt_into_holding_never_raises_availability_then_restock_does(
    adapter: NetSuiteAdapter, netsuite_control: NetSuiteSandboxControl
) -> None:
    before = (await adapter.check_availability([TEE]))[0].available
    _, _, receipt = await received(adapter, "inv-1")
    assert await netsuite_control.on_hand(TEE, HOLDING) == 2
    assert await netsuite_control.available(TEE, HOLDING) == 0
    assert (await adapter.check_availability([TEE]))[0].available == before

    restock = disposition("inv-1", Disposition.RESTOCK, receipt, {TEE: 2}, to="sellable")
    doc = await adapter.post_disposition(restock)
    again = await adapter.post_disposition(restock)  # a retried activity
    assert doc.kind is ErpDocumentKind.INVENTORY_TRANSFER and again.id == doc.id
    assert (await adapter.check_availability([TEE]))[0].available == before + 2
    assert await netsuite_control.on_hand(TEE, HOLDING) == 0
    [transfer] = await netsuite_control.records("inventoryTransfer")
    assert transfer["externalId"] == "loop-inv-1-dp-1"
    assert (transfer["location"]["id"], transfer["transferLocation"]["id"]) == (HOLDING, MAIN)
    assert [(x["item"]["id"], x["adjustQtyBy"]) for x in transfer["inventory"]["items"]] == [
        (TEE, 2)
    ]


async def test_refurbish_scrap_and_vendor_return_split_one_receipt(
    adapter: NetSuiteAdapter, netsuite_control: NetSuiteSandboxControl
) -> None:
    before = await adapter.check_availability([TEE, SCARF])
    _, _, receipt = await received(adapter, "inv-2")
    refurb = disposition("inv-2", Disposition.REFURBISH, receipt, {TEE: 1}, to="refurb", n=1)
    scrap = disposition("inv-2", Disposition.SCRAP, receipt, {TEE: 1}, n=2)
    rtv = disposition("inv-2", Disposition.RETURN_TO_VENDOR, receipt, {SCARF: 1}, n=3)
    docs = [await adapter.post_disposition(r) for r in (refurb, scrap, rtv)]
    assert [d.kind for d in docs] == [
        ErpDocumentKind.INVENTORY_TRANSFER,
        ErpDocumentKind.INVENTORY_ADJUSTMENT,
        ErpDocumentKind.VENDOR_RETURN,
    ]
    assert await netsuite_control.on_hand(TEE, REFURB) == 1
    assert await netsuite_control.available(TEE, REFURB) == 0  # refurb is not nettable
    assert await netsuite_control.on_hand(TEE, HOLDING) == 0  # one moved, one written off
    assert await netsuite_control.on_hand(SCARF, HOLDING) == 1  # leaves when the VRA ships
    assert await adapter.check_availability([TEE, SCARF]) == before  # nothing became sellable

    [adjustment] = await netsuite_control.records("inventoryAdjustment")
    assert adjustment["account"]["id"] == "3"
    assert "torn seam" in adjustment["memo"]
    assert [(x["item"]["id"], x["adjustQtyBy"]) for x in adjustment["inventory"]["items"]] == [
        (TEE, -1)
    ]
    [vra] = await netsuite_control.records("vendorReturnAuthorization")
    assert (vra["entity"]["id"], vra["status"]["id"], vra["externalId"]) == (
        "301",
        "B",
        "loop-inv-2-dp-3",
    )


async def test_dispositions_refuse_what_holding_does_not_hold_and_unmapped_places(
    adapter: NetSuiteAdapter, netsuite_control: NetSuiteSandboxControl
) -> None:
    _, _, receipt = await received(adapter, "inv-3")
    too_many = disposition("inv-3", Disposition.RESTOCK, receipt, {TEE: 3}, to="sellable")
    with pytest.raises(BusinessError):
        await adapter.post_disposition(too_many)
    nowhere = disposition("inv-3", Disposition.RESTOCK, receipt, {TEE: 1}, to="outlet-store")
    with pytest.raises(BusinessError) as caught:
        await adapter.post_disposition(nowhere)
    assert caught.value.code == "UNMAPPED_LOCATION"
    assert await netsuite_control.records("inventoryTransfer") == []
    assert await netsuite_control.on_hand(TEE, HOLDING) == 2


# --- money against the credit --------------------------------------------------------------


async def test_store_credit_clears_the_credit_memo_to_the_gift_card_account(
    adapter: NetSuiteAdapter, netsuite_control: NetSuiteSandboxControl
) -> None:
    order, ra, _ = await received(adapter, "inv-4")
    credit = await adapter.create_credit(credit_request(ra, "inv-4"))
    assert credit.amount is not None
    request = StoreCreditRequest(
        external_id=external_id("inv-4", "sc"),
        credit_id=credit.id,
        customer_id=order.customer_id,
        amount=credit.amount,
        gift_card_reference="GC-7781",
    )
    doc = await adapter.issue_store_credit(request)
    assert (await adapter.issue_store_credit(request)).id == doc.id
    assert doc.kind is ErpDocumentKind.STORE_CREDIT and doc.amount == credit.amount
    [refund] = await netsuite_control.records("customerRefund")
    assert (refund["account"]["id"], refund["paymentMethod"]["id"]) == ("4", "5")
    assert "GC-7781" in refund["memo"]
    [memo] = await netsuite_control.records("creditMemo")
    assert memo["status"]["id"] == "B" and memo["amountRemaining"] == 0  # fully applied


async def test_storefront_refund_is_recorded_with_its_reference(
    adapter: NetSuiteAdapter, netsuite_control: NetSuiteSandboxControl
) -> None:
    order, ra, _ = await received(adapter, "inv-5")
    credit = await adapter.create_credit(credit_request(ra, "inv-5"))
    assert credit.amount is not None
    doc = await adapter.issue_refund(
        RefundRequest(
            external_id=external_id("inv-5", "rf"),
            credit_id=credit.id,
            customer_id=order.customer_id,
            amount=credit.amount,
            payment_method="4",
            storefront_refund_reference="shopify-refund-99001",
        )
    )
    [refund] = await netsuite_control.records("customerRefund")
    assert refund["id"] == doc.id
    assert refund["account"]["id"] == "5"  # the storefront's payout clearing account
    assert "shopify-refund-99001" in refund["memo"]


# --- exchanges ------------------------------------------------------------------------------


async def test_availability_reports_stock_and_sellability(
    adapter: NetSuiteAdapter, netsuite_control: NetSuiteSandboxControl
) -> None:
    await netsuite_control.set_stock("502", MAIN, 0)
    await netsuite_control.item_flags("503", inactive=True)
    await netsuite_control.item_flags("504", online=False)
    found = await adapter.check_availability(["501", "502", "503", "504", "999999"])
    assert [(a.item_id, a.available, a.sellable) for a in found] == [
        ("501", 100, True),
        ("502", 0, True),
        ("503", 100, False),  # inactive
        ("504", 100, False),  # not on the web store
        ("999999", 0, False),  # unknown to NetSuite
    ]


def exchange_request(return_id: str, order_id: str, customer_id: str) -> SalesOrderRequest:
    return SalesOrderRequest(
        external_id=external_id(return_id, "so"),
        return_id=return_id,
        customer_id=customer_id,
        original_order_id=order_id,
        currency="GBP",
        lines=[SalesOrderLine(item_id="502", quantity=1)],
        ship_to=SHIP_TO,
        linked_credit_id="77",
    )


async def test_exchange_order_ships_to_the_customer_and_names_its_credit(
    adapter: NetSuiteAdapter, netsuite_control: NetSuiteSandboxControl
) -> None:
    request = exchange_request("inv-6", "9001", "101")
    doc = await adapter.create_sales_order(request)
    assert (await adapter.create_sales_order(request)).id == doc.id
    [so] = [r for r in await netsuite_control.records("salesOrder") if r["id"] == doc.id]
    assert so["externalId"] == "loop-inv-6-so" and so["entity"]["id"] == "101"
    assert so["shippingAddress"]["addr1"] == "1 High Street"
    assert so["shippingAddress"]["country"] == "GB"
    assert "credit 77" in so["memo"] and "9001" in so["memo"]
    assert so["currency"]["refName"] == "British pound"
    assert [(x["item"]["id"], x["quantity"], x["rate"]) for x in so["item"]["items"]] == [
        ("502", 1, Decimal("0"))
    ]


async def test_exchange_order_waits_for_its_original_order(
    adapter: NetSuiteAdapter, netsuite_control: NetSuiteSandboxControl
) -> None:
    late = catalog_order("#LATE-1", "88001", "ada@example.com", "TEE-BLK-M")
    request = exchange_request("inv-7", late.erp_order_id, "101")
    with pytest.raises(RetryableError) as caught:
        await adapter.create_sales_order(request)
    assert caught.value.code == "PREREQUISITE_PENDING"
    assert await adapter.find_document("sales_order", request.external_id) is None
    await netsuite_control.add_order(late)
    assert (await adapter.create_sales_order(request)).external_id == request.external_id


# --- closing an RA and the ledger -----------------------------------------------------------


async def test_close_ra_when_nothing_arrived_and_refuse_after_receipt(
    adapter: NetSuiteAdapter,
) -> None:
    order = await adapter.find_sales_order(OrderRef(order_name="#1002"))
    ra = await adapter.create_return_authorization(ra_request(order, "inv-8"))
    close = CloseAuthorizationRequest(return_authorization_id=ra.id, reason="cancelled in Loop")
    closed = await adapter.close_return_authorization(close)
    assert closed.status == "H"
    assert (await adapter.close_return_authorization(close)).status == "H"

    _, got, _ = await received(adapter, "inv-9", "#1003")
    with pytest.raises(ConflictError) as caught:
        await adapter.close_return_authorization(
            CloseAuthorizationRequest(return_authorization_id=got.id, reason="too late")
        )
    assert caught.value.code == "RA_RECEIVED"


async def test_ledger_lists_documents_of_one_kind_in_a_window_page_by_page(
    adapter: NetSuiteAdapter,
) -> None:
    start = datetime.now(UTC) - timedelta(seconds=2)
    ras = []
    for n, name in enumerate(["#1001", "#1002", "#1003", "#1004", "#1005"]):
        order = await adapter.find_sales_order(OrderRef(order_name=name))
        ras.append(await adapter.create_return_authorization(ra_request(order, f"7710{n}")))
    end = datetime.now(UTC) + timedelta(seconds=2)

    entries = [
        e async for e in adapter.iter_documents(ErpDocumentKind.RETURN_AUTHORIZATION, start, end)
    ]
    assert [e.id for e in entries] == [ra.id for ra in ras]
    assert [e.return_id for e in entries] == [f"7710{n}" for n in range(5)]
    assert all(e.amount and e.amount.currency == "GBP" and e.amount.amount > 0 for e in entries)
    assert all(e.created_at and start <= e.created_at <= end for e in entries)
    assert [
        e
        async for e in adapter.iter_documents(
            ErpDocumentKind.RETURN_AUTHORIZATION, end, end + timedelta(hours=1)
        )
    ] == []


async def test_ledger_tells_store_credit_from_refunds(adapter: NetSuiteAdapter) -> None:
    start = datetime.now(UTC) - timedelta(seconds=2)
    for return_id, name, kind in (("77200", "#1001", "sc"), ("77201", "#1002", "rf")):
        order, ra, _ = await received(adapter, return_id, name)
        credit = await adapter.create_credit(credit_request(ra, return_id))
        assert credit.amount is not None
        if kind == "sc":
            await adapter.issue_store_credit(
                StoreCreditRequest(
                    external_id=external_id(return_id, kind),
                    credit_id=credit.id,
                    customer_id=order.customer_id,
                    amount=credit.amount,
                )
            )
        else:
            await adapter.issue_refund(
                RefundRequest(
                    external_id=external_id(return_id, kind),
                    credit_id=credit.id,
                    customer_id=order.customer_id,
                    amount=Money(amount=credit.amount.amount, currency="GBP"),
                )
            )
    end = datetime.now(UTC) + timedelta(seconds=2)
    store_credit = [
        e async for e in adapter.iter_documents(ErpDocumentKind.STORE_CREDIT, start, end)
    ]
    refunds = [e async for e in adapter.iter_documents(ErpDocumentKind.CUSTOMER_REFUND, start, end)]
    assert [e.return_id for e in store_credit] == ["77200"]
    assert [e.return_id for e in refunds] == ["77201"]
    credits = [e async for e in adapter.iter_documents(ErpDocumentKind.CREDIT_MEMO, start, end)]
    assert all(e.amount and e.amount.amount > 0 for e in credits) and len(credits) == 2


async def test_netsuite_refuses_an_order_for_an_inactive_item(
    adapter: NetSuiteAdapter, netsuite_control: NetSuiteSandboxControl
) -> None:
    await netsuite_control.item_flags("502", inactive=True)
    request = exchange_request("inv-10", "9001", "101")
    with pytest.raises(BusinessError) as caught:
        await adapter.create_sales_order(request)
    assert caught.value.code == "INVALID_CONTENT"
    assert await adapter.find_document("sales_order", request.external_id) is None
