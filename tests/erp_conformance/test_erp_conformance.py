"""The same scenarios against every ERP through its sandbox: the workflow never branches on the
ERP, so every adapter must give the same answers to the same requests.

Amounts are checked against the catalog's own tax logic, stock against the sandbox's records,
and documents against the sandbox's dump, never against what the adapter says it did.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from adapters.erp.protocol import external_id
from adapters.errors import (
    BusinessError,
    ConflictError,
    NotFoundError,
    UnknownItemError,
)
from adapters.sandbox.catalog import demo_catalog, unit_amounts
from tests.erp_conformance.drivers import Driver
from workflows.model import (
    CloseAuthorizationRequest,
    CreditRequest,
    Disposition,
    DispositionRequest,
    ErpDocument,
    ErpDocumentKind,
    ErpLineRequest,
    ErpOrder,
    ErpReturnState,
    ItemReceiptRequest,
    OrderRef,
    RefundRequest,
    ReturnAuthorizationRequest,
    ReviewFlagRequest,
    SalesOrderLine,
    SalesOrderRequest,
    StoreCreditRequest,
)

CATALOG = demo_catalog()
ORDER = "#1001"  # two black tees and a red scarf, no discounts


def whole_order(order: ErpOrder) -> list[ErpLineRequest]:
    return [
        ErpLineRequest(order_line=x.line, item_id=x.item_id, quantity=x.quantity)
        for x in order.lines
    ]


def catalog_total(order_name: str) -> Decimal:
    """What the ERP must credit for the whole order: its tax logic on the discounted price."""
    total = Decimal(0)
    for line in CATALOG.order(order_name).lines:
        price, discount, tax = unit_amounts(CATALOG.item(line.sku), line.discount)
        total += (price - discount + tax) * line.quantity
    return total


async def authorized(
    erp: Driver, rid: str, order_name: str = ORDER
) -> tuple[ErpOrder, ErpDocument, list[ErpLineRequest]]:
    order = await erp.adapter.find_sales_order(OrderRef(order_name=order_name))
    lines = whole_order(order)
    ra = await erp.adapter.create_return_authorization(
        ReturnAuthorizationRequest(
            external_id=external_id(rid, "ra"),
            return_id=rid,
            order_id=order.id,
            lines=lines,
            memo=f"Loop return {rid}",
        )
    )
    return order, ra, lines


def receipt_of(
    rid: str, ra: ErpDocument, lines: list[ErpLineRequest], holding: str
) -> ItemReceiptRequest:
    return ItemReceiptRequest(
        external_id=external_id(rid, "ir"),
        return_authorization_id=ra.id,
        location_id=holding,
        lines=lines,
    )


async def received(
    erp: Driver, rid: str, order_name: str = ORDER
) -> tuple[ErpOrder, ErpDocument, ErpDocument, list[ErpLineRequest]]:
    order, ra, lines = await authorized(erp, rid, order_name)
    receipt = await erp.adapter.receive_return(receipt_of(rid, ra, lines, erp.holding))
    return order, ra, receipt, lines


async def credited(erp: Driver, rid: str, *, receive: bool = True, order_name: str = ORDER):
    if receive:
        order, ra, _, _ = await received(erp, rid, order_name)
    else:
        order, ra, _ = await authorized(erp, rid, order_name)
    credit = await erp.adapter.create_credit(
        CreditRequest(external_id=external_id(rid, "cm"), return_authorization_id=ra.id)
    )
    return order, ra, credit


# --- authorization ------------------------------------------------------------------------


async def test_return_authorization_is_created_once(erp: Driver) -> None:
    order, first, lines = await authorized(erp, "9101")
    again = await erp.adapter.create_return_authorization(
        ReturnAuthorizationRequest(
            external_id=external_id("9101", "ra"), return_id="9101", order_id=order.id, lines=lines
        )
    )
    assert first.kind is ErpDocumentKind.RETURN_AUTHORIZATION
    assert again.id == first.id and again.external_id == external_id("9101", "ra")
    assert len(await erp.documents(ErpDocumentKind.RETURN_AUTHORIZATION, "9101")) == 1
    found = await erp.adapter.find_document("return_authorization", external_id("9101", "ra"))
    assert found is not None and found.id == first.id


async def test_a_lost_answer_is_retried_into_the_same_document(erp: Driver) -> None:
    await erp.lose_next_writes(1)
    _, ra, _ = await authorized(erp, "9102")
    assert await erp.answers_lost() == 1
    records = await erp.documents(ErpDocumentKind.RETURN_AUTHORIZATION, "9102")
    assert len(records) == 1 and ra.id


async def test_transient_faults_are_retried(erp: Driver) -> None:
    await erp.fail_next([429, 503])
    order = await erp.adapter.find_sales_order(OrderRef(order_name=ORDER))
    assert {x.sku for x in order.lines} == {x.sku for x in CATALOG.order(ORDER).lines}
    await erp.fail_next([500])
    _, ra, _ = await authorized(erp, "9103")
    assert [r for r in await erp.documents(ErpDocumentKind.RETURN_AUTHORIZATION, "9103")]
    assert ra.id


async def test_an_unknown_order_is_not_found(erp: Driver) -> None:
    with pytest.raises(NotFoundError):
        await erp.adapter.find_sales_order(OrderRef(order_name="#404404", order_number="404404"))


async def test_unknown_skus_are_named(erp: Driver) -> None:
    with pytest.raises(UnknownItemError) as caught:
        await erp.adapter.resolve_items(["TEE-BLK-M", "NOPE-XXX-1"])
    assert caught.value.skus == ["NOPE-XXX-1"]
    resolved = await erp.adapter.resolve_items(["TEE-BLK-M"])
    order = await erp.adapter.find_sales_order(OrderRef(order_name=ORDER))
    tee = next(x for x in order.lines if x.sku == "TEE-BLK-M")
    assert resolved == {"TEE-BLK-M": tee.item_id}


# --- receipt and disposition ----------------------------------------------------------------


async def test_receipt_goes_into_holding_not_into_sellable_stock(erp: Driver) -> None:
    order = await erp.adapter.find_sales_order(OrderRef(order_name=ORDER))
    tee = next(x for x in order.lines if x.sku == "TEE-BLK-M")
    sellable = await erp.stock(tee.item_id, "sellable")
    _, _, receipt, _ = await received(erp, "9104")
    assert receipt.kind is ErpDocumentKind.ITEM_RECEIPT
    assert await erp.stock(tee.item_id, "holding") == tee.quantity
    assert await erp.stock(tee.item_id, "sellable") == sellable
    [available] = await erp.adapter.check_availability([tee.item_id])
    assert available.available == sellable


@pytest.mark.parametrize(
    ("disposition", "lands", "kind"),
    [
        (Disposition.RESTOCK, "sellable", ErpDocumentKind.INVENTORY_TRANSFER),
        (Disposition.REFURBISH, "refurb", ErpDocumentKind.INVENTORY_TRANSFER),
        (Disposition.SCRAP, None, ErpDocumentKind.INVENTORY_ADJUSTMENT),
        (Disposition.RETURN_TO_VENDOR, None, ErpDocumentKind.VENDOR_RETURN),
    ],
)
async def test_each_disposition_moves_stock_out_of_holding(
    erp: Driver, disposition: Disposition, lands: str | None, kind: ErpDocumentKind
) -> None:
    rid = f"92{list(Disposition).index(disposition)}"
    order, _, receipt, _ = await received(erp, rid)
    tee = next(x for x in order.lines if x.sku == "TEE-BLK-M")
    before = {p: await erp.stock(tee.item_id, p) for p in ("holding", "sellable", "refurb")}
    request = DispositionRequest(
        external_id=external_id(rid, f"dsp-{disposition.value}"),
        return_id=rid,
        disposition=disposition,
        item_receipt_id=receipt.id,
        from_location_id=erp.holding,
        to_location_id={"sellable": "sellable", "refurb": "refurb"}.get(lands or ""),
        lines=[ErpLineRequest(order_line=tee.line, item_id=tee.item_id, quantity=1)],
        reason="inspected",
    )
    doc = await erp.adapter.post_disposition(request)
    again = await erp.adapter.post_disposition(request)
    assert doc.kind is kind and again.id == doc.id
    after = {p: await erp.stock(tee.item_id, p) for p in ("holding", "sellable", "refurb")}
    if disposition is Disposition.RETURN_TO_VENDOR:
        # a vendor return may hold the unit in holding until it ships (NetSuite: until the
        # authorization is fulfilled); it never grows holding and never makes it sellable
        assert after["holding"] in (before["holding"] - 1, before["holding"])
    else:
        assert after["holding"] == before["holding"] - 1
    for place in ("sellable", "refurb"):
        assert after[place] == before[place] + (1 if place == lands else 0)
    assert len(await erp.documents(kind, rid)) == 1


# --- money ----------------------------------------------------------------------------------


async def test_the_erp_computes_the_credit(erp: Driver) -> None:
    _, ra, credit = await credited(erp, "9301")
    assert credit.kind is ErpDocumentKind.CREDIT_MEMO
    assert credit.amount is not None and credit.amount.amount == catalog_total(ORDER)
    assert (
        credit.subtotal.amount + credit.tax.amount - credit.discount.amount == credit.amount.amount
    )
    again = await erp.adapter.create_credit(
        CreditRequest(external_id=external_id("9301", "cm"), return_authorization_id=ra.id)
    )
    assert again.id == credit.id
    assert len(await erp.documents(ErpDocumentKind.CREDIT_MEMO, "9301")) == 1


async def test_keep_item_is_credited_without_moving_stock(erp: Driver) -> None:
    order = await erp.adapter.find_sales_order(OrderRef(order_name=ORDER))
    places = ("holding", "sellable", "refurb")
    before = {(x.item_id, p): await erp.stock(x.item_id, p) for x in order.lines for p in places}
    _, _, credit = await credited(erp, "9302", receive=False)
    assert credit.amount is not None and credit.amount.amount == catalog_total(ORDER)
    after = {(x.item_id, p): await erp.stock(x.item_id, p) for x in order.lines for p in places}
    assert after == before


@pytest.mark.parametrize("storefront_reference", [None, "shopify-refund-77"])
async def test_refund_against_the_credit(erp: Driver, storefront_reference: str | None) -> None:
    rid = "9303" if storefront_reference is None else "9304"
    order, _, credit = await credited(erp, rid)
    assert credit.amount is not None
    request = RefundRequest(
        external_id=external_id(rid, "rf"),
        credit_id=credit.id,
        customer_id=order.customer_id,
        amount=credit.amount,
        storefront_refund_reference=storefront_reference,
    )
    refund = await erp.adapter.issue_refund(request)
    again = await erp.adapter.issue_refund(request)
    assert refund.kind is ErpDocumentKind.CUSTOMER_REFUND and again.id == refund.id
    assert len(await erp.documents(ErpDocumentKind.CUSTOMER_REFUND, rid)) == 1


async def assert_the_one_recorded(
    erp: Driver, kind: ErpDocumentKind, rid: str, doc: ErpDocument
) -> None:
    """After a lost answer: one document in the sandbox, and it is the one the adapter gave."""
    assert await erp.answers_lost() == 1
    [recorded] = await erp.documents(kind, rid)
    assert doc.kind is kind
    assert doc.id in (recorded.get("id"), recorded.get("code"))


async def test_a_lost_refund_answer_leaves_one_refund(erp: Driver) -> None:
    order, _, credit = await credited(erp, "9306")
    assert credit.amount is not None
    await erp.lose_next_writes(1)
    refund = await erp.adapter.issue_refund(
        RefundRequest(
            external_id=external_id("9306", "rf"),
            credit_id=credit.id,
            customer_id=order.customer_id,
            amount=credit.amount,
        )
    )
    await assert_the_one_recorded(erp, ErpDocumentKind.CUSTOMER_REFUND, "9306", refund)


def store_credit(rid: str, order: ErpOrder, credit: ErpDocument) -> StoreCreditRequest:
    assert credit.amount is not None
    return StoreCreditRequest(
        external_id=external_id(rid, "sc"),
        credit_id=credit.id,
        customer_id=order.customer_id,
        amount=credit.amount,
        gift_card_reference=f"GC-{rid}",
    )


async def test_store_credit_posts_a_liability(erp: Driver) -> None:
    order, _, credit = await credited(erp, "9305")
    request = store_credit("9305", order, credit)
    doc = await erp.adapter.issue_store_credit(request)
    again = await erp.adapter.issue_store_credit(request)
    assert doc.kind is ErpDocumentKind.STORE_CREDIT and again.id == doc.id
    assert len(await erp.documents(ErpDocumentKind.STORE_CREDIT, "9305")) == 1
    assert await erp.documents(ErpDocumentKind.CUSTOMER_REFUND, "9305") == []


async def test_a_lost_store_credit_answer_leaves_one_store_credit(erp: Driver) -> None:
    order, _, credit = await credited(erp, "9307")
    await erp.lose_next_writes(1)
    doc = await erp.adapter.issue_store_credit(store_credit("9307", order, credit))
    await assert_the_one_recorded(erp, ErpDocumentKind.STORE_CREDIT, "9307", doc)
    assert await erp.documents(ErpDocumentKind.CUSTOMER_REFUND, "9307") == []


# --- exchanges and closing ------------------------------------------------------------------


def exchange(rid: str, order: ErpOrder, item_id: str) -> SalesOrderRequest:
    return SalesOrderRequest(
        external_id=external_id(rid, "so"),
        return_id=rid,
        customer_id=order.customer_id,
        original_order_id=order.id,
        currency=order.currency,
        lines=[SalesOrderLine(item_id=item_id, quantity=1)],
    )


async def test_availability_then_an_exchange_order(erp: Driver) -> None:
    order = await erp.adapter.find_sales_order(OrderRef(order_name=ORDER))
    wanted = (await erp.adapter.resolve_items(["TEE-BLK-L"]))["TEE-BLK-L"]
    [stock] = await erp.adapter.check_availability([wanted])
    assert stock.item_id == wanted and stock.sellable and stock.available > 0
    doc = await erp.adapter.create_sales_order(exchange("9401", order, wanted))
    again = await erp.adapter.create_sales_order(exchange("9401", order, wanted))
    assert doc.kind is ErpDocumentKind.SALES_ORDER and again.id == doc.id
    assert len(await erp.documents(ErpDocumentKind.SALES_ORDER, "9401")) == 1


async def test_a_lost_exchange_order_answer_leaves_one_sales_order(erp: Driver) -> None:
    """The exchange's write that only the ERP's reference can de-duplicate: a sales order."""
    order = await erp.adapter.find_sales_order(OrderRef(order_name=ORDER))
    wanted = (await erp.adapter.resolve_items(["TEE-BLK-L"]))["TEE-BLK-L"]
    await erp.lose_next_writes(1)
    doc = await erp.adapter.create_sales_order(exchange("9403", order, wanted))
    await assert_the_one_recorded(erp, ErpDocumentKind.SALES_ORDER, "9403", doc)


async def test_no_exchange_order_for_an_item_that_is_not_sellable(erp: Driver) -> None:
    order = await erp.adapter.find_sales_order(OrderRef(order_name=ORDER))
    wanted = (await erp.adapter.resolve_items(["TEE-WHT-M"]))["TEE-WHT-M"]
    await erp.make_unsellable(wanted)
    [stock] = await erp.adapter.check_availability([wanted])
    assert not stock.sellable
    with pytest.raises(BusinessError):
        await erp.adapter.create_sales_order(exchange("9402", order, wanted))
    assert await erp.documents(ErpDocumentKind.SALES_ORDER, "9402") == []


async def test_close_an_authorization_nothing_was_received_against(erp: Driver) -> None:
    _, ra, _ = await authorized(erp, "9501")
    closed = await erp.adapter.close_return_authorization(
        CloseAuthorizationRequest(return_authorization_id=ra.id, reason="cancelled in Loop")
    )
    assert closed.id == ra.id and closed.kind is ErpDocumentKind.RETURN_AUTHORIZATION
    _, received_ra, _, _ = await received(erp, "9502")
    with pytest.raises(ConflictError):
        await erp.adapter.close_return_authorization(
            CloseAuthorizationRequest(return_authorization_id=received_ra.id, reason="too late")
        )


# --- the ERP side's own changes: the status sweep reads them ---------------------------------


async def test_return_statuses_follow_the_return_through_the_erp(erp: Driver) -> None:
    _, ra, _ = await authorized(erp, "9601")
    _, received_ra, _, _ = await received(erp, "9602", "#1002")
    _, credited_ra, _ = await credited(erp, "9603", order_name="#1003")
    statuses = await erp.adapter.return_statuses(["9601", "9602", "9603", "9699"])
    assert set(statuses) == {"9601", "9602", "9603"}  # no RA for 9699: left out, not guessed
    assert {rid: s.state for rid, s in statuses.items()} == {
        "9601": ErpReturnState.OPEN,
        "9602": ErpReturnState.RECEIVED,
        "9603": ErpReturnState.CREDITED,
    }
    assert [statuses[r].document_id for r in ("9601", "9602", "9603")] == [
        ra.id,
        received_ra.id,
        credited_ra.id,
    ]
    assert not any(s.review for s in statuses.values())
    assert all(s.erp_status for s in statuses.values())  # the ERP's own words, for the audit


async def test_a_return_closed_in_the_erp_reads_as_ended(erp: Driver) -> None:
    _, ra, _ = await authorized(erp, "9611")
    await erp.close_in_erp(ra.id)
    [status] = (await erp.adapter.return_statuses(["9611"])).values()
    assert status.state in (ErpReturnState.CLOSED, ErpReturnState.CANCELLED)
    _, ours, _ = await authorized(erp, "9612", "#1002")
    await erp.adapter.close_return_authorization(
        CloseAuthorizationRequest(return_authorization_id=ours.id, reason="cancelled in Loop")
    )
    [status] = (await erp.adapter.return_statuses(["9612"])).values()
    assert status.state in (ErpReturnState.CLOSED, ErpReturnState.CANCELLED)


async def test_the_review_flag_reads_back_from_either_side(erp: Driver) -> None:
    _, flagged_there, _ = await authorized(erp, "9621")
    _, flagged_here, _ = await authorized(erp, "9622", "#1002")
    await erp.flag_in_erp(flagged_there.id)
    request = ReviewFlagRequest(return_authorization_id=flagged_here.id, note="review in Loop")
    first = await erp.adapter.flag_for_review(request)
    again = await erp.adapter.flag_for_review(request)  # a retried activity: still one flag
    assert first.id == again.id == flagged_here.id
    statuses = await erp.adapter.return_statuses(["9621", "9622"])
    assert statuses["9621"].review and statuses["9622"].review
    assert statuses["9622"].state is ErpReturnState.OPEN  # a flag holds; it does not close
    [ra] = await erp.documents(ErpDocumentKind.RETURN_AUTHORIZATION, "9622")
    assert ra  # still exactly one RA after two flag calls


async def test_return_statuses_for_many_returns_in_few_calls(erp: Driver) -> None:
    ids = [str(9700 + n) for n in range(6)]
    orders = ["#1001", "#1002", "#1003", "#1004", "#1005", "#1006"]
    for rid, order_name in zip(ids, orders, strict=True):
        await authorized(erp, rid, order_name)
    statuses = await erp.adapter.return_statuses([*ids, *ids])  # repeats are harmless
    assert sorted(statuses) == ids
    assert {s.state for s in statuses.values()} == {ErpReturnState.OPEN}


# --- the ledger -----------------------------------------------------------------------------


async def test_iter_documents_lists_a_window_page_by_page(erp: Driver) -> None:
    await erp.page_size(2)
    start = datetime.now(UTC) - timedelta(seconds=1)
    ids, totals = {}, {}
    for rid, order_name in (("9601", "#1001"), ("9602", "#1004"), ("9603", "#1006")):
        order, _, credit = await credited(erp, rid, receive=False, order_name=order_name)
        ids[rid], totals[rid] = credit.id, catalog_total(order_name)
        assert credit.amount is not None
        # the ledger lists posted credits; Prima posts a credit note when its payment confirms
        refund = RefundRequest(
            external_id=external_id(rid, "rf"),
            credit_id=credit.id,
            customer_id=order.customer_id,
            amount=credit.amount,
            storefront_refund_reference=f"psp-{rid}",
        )
        await erp.adapter.issue_refund(refund)
    end = datetime.now(UTC) + timedelta(seconds=1)
    listed = [e async for e in erp.adapter.iter_documents(ErpDocumentKind.CREDIT_MEMO, start, end)]
    mine = {e.return_id: e for e in listed if e.return_id in ids}
    assert {rid: e.id for rid, e in mine.items()} == ids
    assert all(e.kind is ErpDocumentKind.CREDIT_MEMO for e in listed)
    assert {rid: e.amount.amount for rid, e in mine.items() if e.amount} == totals
    earlier = [
        e
        async for e in erp.adapter.iter_documents(
            ErpDocumentKind.CREDIT_MEMO, start - timedelta(hours=1), start
        )
    ]
    assert not {e.return_id for e in earlier} & set(ids)
