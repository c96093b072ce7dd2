"""Khaos specifics through the IKosWeb sandbox over loopback: how SKUs are matched, where a
return reason's processing type puts stock, adjustment groups, web-sale exchanges, and errors
that arrive inside a successful answer or as Khaos's documented faults."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from adapters.erp import soap
from adapters.erp.khaos import KhaosAdapter
from adapters.erp.khaos.errors import from_fault
from adapters.erp.protocol import external_id
from adapters.errors import (
    AlreadyReturnedError,
    AuthError,
    BusinessError,
    ConflictError,
    GoodsReceivedError,
    NotFoundError,
    RetryableError,
    UnknownItemError,
)
from adapters.sandbox.khaos import KhaosSandboxControl, soap_path
from adapters.sandbox.server import ServedApp
from tests.adapters.khaos_fixtures import *  # noqa: F403
from tests.adapters.khaos_fixtures import KHAOS_PASSWORD, KHAOS_USER, make_khaos
from workflows.model import (
    CloseAuthorizationRequest,
    CreditRequest,
    Disposition,
    DispositionRequest,
    ErpLineRequest,
    ErpReturnState,
    ItemReceiptRequest,
    OrderRef,
    RefundRequest,
    ReturnAuthorizationRequest,
    ReviewFlagRequest,
    SalesOrderLine,
    SalesOrderRequest,
)


async def return_of(
    adapter: KhaosAdapter, rid: str, reason: str | None = None, order: str = "#1001"
):
    found = await adapter.find_sales_order(OrderRef(order_name=order))
    lines = [
        ErpLineRequest(order_line=x.line, item_id=x.item_id, quantity=x.quantity, reason=reason)
        for x in found.lines
    ]
    ra = await adapter.create_return_authorization(
        ReturnAuthorizationRequest(
            external_id=external_id(rid, "ra"), return_id=rid, order_id=found.id, lines=lines
        )
    )
    return found, ra, lines


async def receive(adapter: KhaosAdapter, rid: str, ra_id: str, lines: list[ErpLineRequest]):
    return await adapter.receive_return(
        ItemReceiptRequest(
            external_id=external_id(rid, "ir"),
            return_authorization_id=ra_id,
            location_id="holding",
            lines=lines,
        )
    )


# --- items --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mapping_type", "given", "found"),
    [
        (2, "TEE-BLK-M", True),  # other ref: where the shop's SKU lives
        (1, "TEE-BLK-M", False),  # stock code: the SKU is not one
        (1, "TEEBLKM", True),
        (5, "5000000000501", True),  # barcode
        (-1, "TEE-BLK-M", True),  # automatic: code, barcode, then other ref
    ],
)
async def test_items_match_by_the_configured_mapping_type(
    khaos_served: ServedApp,
    khaos_control: KhaosSandboxControl,
    mapping_type: int,
    given: str,
    found: bool,
) -> None:
    adapter = make_khaos(khaos_served.url, mapping_type=mapping_type)
    try:
        if found:
            assert await adapter.resolve_items([given]) == {given: "TEEBLKM"}
        else:
            with pytest.raises(UnknownItemError) as caught:
                await adapter.resolve_items([given])
            assert caught.value.skus == [given]
    finally:
        await adapter.aclose()


# --- reasons and their processing types -------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "location"),
    [("QUAR", "QUARANTINE"), ("RTS", "MAIN"), ("MISSING", None)],
)
async def test_the_return_reason_processing_type_decides_where_receipt_puts_stock(
    khaos_served: ServedApp, khaos_control: KhaosSandboxControl, reason: str, location: str | None
) -> None:
    adapter = make_khaos(khaos_served.url, reasons={"Damaged": reason})
    try:
        levels = {w: await khaos_control.level("TEEBLKM", w) for w in ("MAIN", "QUARANTINE")}
        _, ra, lines = await return_of(adapter, "8101", reason="Damaged")
        await receive(adapter, "8101", ra.id, lines)
        for where, before in levels.items():
            assert await khaos_control.level("TEEBLKM", where) == before + (
                2 if where == location else 0
            )
        [ret] = await khaos_control.documents("Return")
        assert {x["reason"] for x in ret["lines"]} == {reason}
    finally:
        await adapter.aclose()


async def test_unreceived_lines_are_credited_as_stock_missing(
    khaos_adapter: KhaosAdapter, khaos_control: KhaosSandboxControl
) -> None:
    _, ra, _ = await return_of(khaos_adapter, "8102")
    await khaos_adapter.create_credit(
        CreditRequest(external_id=external_id("8102", "cm"), return_authorization_id=ra.id)
    )
    [ret] = await khaos_control.documents("Return")
    assert {x["processing_type"] for x in ret["lines"]} == {"Stock Missing"}
    assert await khaos_control.documents("ReturnReceipt") == []


# --- stock adjustments --------------------------------------------------------------------


async def test_a_disposition_is_one_adjustment_group_with_its_reason(
    khaos_adapter: KhaosAdapter, khaos_control: KhaosSandboxControl
) -> None:
    order, ra, lines = await return_of(khaos_adapter, "8201")
    receipt = await receive(khaos_adapter, "8201", ra.id, lines)
    tee = order.lines[0]
    doc = await khaos_adapter.post_disposition(
        DispositionRequest(
            external_id=external_id("8201", "dsp-restock"),
            return_id="8201",
            disposition=Disposition.RESTOCK,
            item_receipt_id=receipt.id,
            from_location_id="holding",
            to_location_id="sellable",
            lines=[ErpLineRequest(order_line=tee.line, item_id=tee.item_id, quantity=2)],
        )
    )
    [group] = await khaos_control.documents("StockAdjustment")
    assert group["code"] == doc.id and group["ref"] == external_id("8201", "dsp-restock")
    assert group["reason_code"] == "RESTOCK"
    assert group["moves"] == [["TEEBLKM", "QUARANTINE", -2], ["TEEBLKM", "MAIN", 2]]


async def test_more_than_holding_has_is_refused_inside_the_answer(
    khaos_adapter: KhaosAdapter, khaos_control: KhaosSandboxControl
) -> None:
    order, _, _ = await return_of(khaos_adapter, "8202")
    with pytest.raises(BusinessError) as caught:
        await khaos_adapter.post_disposition(
            DispositionRequest(
                external_id=external_id("8202", "dsp-scrap"),
                return_id="8202",
                disposition=Disposition.SCRAP,
                item_receipt_id="none",
                from_location_id="holding",
                lines=[ErpLineRequest(order_line="1", item_id=order.lines[0].item_id, quantity=1)],
            )
        )
    assert caught.value.code == "NOT_IN_LOCATION"
    assert await khaos_control.documents("StockAdjustment") == []


async def test_adjust_by_and_to_together_is_refused(khaos_served: ServedApp, khaos_control) -> None:
    batch = (
        "<STOCK_ADJUSTMENTS><ASSOCIATED_REF>x</ASSOCIATED_REF><REASON_CODE>FOUND</REASON_CODE>"
        "<ITEMS><ITEM><STOCK_CODE>TEEBLKM</STOCK_CODE><LOCATION>MAIN</LOCATION>"
        "<ADJUST_BY>1</ADJUST_BY><ADJUST_TO>5</ADJUST_TO></ITEM></ITEMS></STOCK_ADJUSTMENTS>"
    )
    reply = await raw_call(khaos_served.url, "ImportStockAdjustments", {"Adjustments": batch})
    assert reply.status_code == 200  # the refusal is inside a successful answer
    result = soap.parse(soap.read_reply(reply.content).result or "")
    assert soap.child(result, "ERROR") is not None
    assert soap.child(result, "ERROR").get("CODE") == "ADJUST_BY_OR_TO"  # type: ignore[union-attr]


# --- exchanges, closing, faults -------------------------------------------------------------


async def test_discontinued_items_refuse_an_exchange(
    khaos_adapter: KhaosAdapter, khaos_control: KhaosSandboxControl
) -> None:
    await khaos_control.item_flags("TEEBLKL", discontinued=True)
    [stock] = await khaos_adapter.check_availability(["TEEBLKL"])
    assert not stock.sellable  # flagged for web sale, but run down
    with pytest.raises(BusinessError) as caught:
        await khaos_adapter.create_sales_order(
            SalesOrderRequest(
                external_id=external_id("8301", "so"),
                return_id="8301",
                customer_id="CUST101",
                original_order_id="SO9001",
                currency="GBP",
                lines=[SalesOrderLine(item_id="TEEBLKL", quantity=1)],
            )
        )
    assert caught.value.code == "DISCONTINUED"


async def test_business_errors_inside_a_successful_answer_are_typed(
    khaos_adapter: KhaosAdapter,
) -> None:
    with pytest.raises(NotFoundError):
        await khaos_adapter.create_return_authorization(
            ReturnAuthorizationRequest(
                external_id=external_id("8401", "ra"),
                return_id="8401",
                order_id="SO-NOPE",
                lines=[ErpLineRequest(order_line="1", item_id="TEEBLKM", quantity=1)],
            )
        )
    _, _, lines = await return_of(khaos_adapter, "8402")
    with pytest.raises(AlreadyReturnedError):  # the same units a second time
        await return_of(khaos_adapter, "8403")
    with pytest.raises(UnknownItemError) as caught:
        await khaos_adapter.create_return_authorization(
            ReturnAuthorizationRequest(
                external_id=external_id("8404", "ra"),
                return_id="8404",
                order_id="SO9002",
                lines=[ErpLineRequest(order_line="1", item_id="NOSUCHCODE", quantity=1)],
            )
        )
    assert caught.value.skus == ["NOSUCHCODE"]
    assert lines


async def test_process_return_faults_are_read_verbatim_and_typed(
    khaos_adapter: KhaosAdapter, khaos_control: KhaosSandboxControl
) -> None:
    order, ra, lines = await return_of(khaos_adapter, "8501")
    await receive(khaos_adapter, "8501", ra.id, lines)
    credit = await khaos_adapter.create_credit(
        CreditRequest(external_id=external_id("8501", "cm"), return_authorization_id=ra.id)
    )
    assert credit.amount is not None
    refund = await khaos_adapter.issue_refund(
        RefundRequest(
            external_id=external_id("8501", "rf"),
            credit_id=credit.id,
            customer_id=order.customer_id,
            amount=credit.amount,
            storefront_refund_reference="shopify-88",
        )
    )
    [recorded] = await khaos_control.documents("Refund")
    assert recorded["code"] == refund.id and recorded["manual_auth_code"] == "shopify-88"
    # a second refund under another id meets Khaos's own fault
    with pytest.raises(ConflictError) as caught:
        await khaos_adapter.issue_refund(
            RefundRequest(
                external_id=external_id("8501", "rf", 2),
                credit_id=credit.id,
                customer_id=order.customer_id,
                amount=credit.amount,
            )
        )
    assert "already been processed" in caught.value.message
    with pytest.raises(GoodsReceivedError):
        await khaos_adapter.close_return_authorization(
            CloseAuthorizationRequest(return_authorization_id=ra.id, reason="late")
        )


# --- the status sweep and the review flag ---------------------------------------------------


async def test_return_statuses_read_every_khaos_stage_by_associated_ref(
    khaos_adapter: KhaosAdapter, khaos_control: KhaosSandboxControl
) -> None:
    _, new, _ = await return_of(khaos_adapter, "8601", order="#1002")
    _, part, lines = await return_of(khaos_adapter, "8602", order="#1001")
    await receive(khaos_adapter, "8602", part.id, lines[:1])
    order, issued, lines = await return_of(khaos_adapter, "8603", order="#1003")
    await receive(khaos_adapter, "8603", issued.id, lines)
    credit = await khaos_adapter.create_credit(
        CreditRequest(external_id=external_id("8603", "cm"), return_authorization_id=issued.id)
    )
    assert credit.amount is not None
    await khaos_adapter.issue_refund(
        RefundRequest(
            external_id=external_id("8603", "rf"),
            credit_id=credit.id,
            customer_id=order.customer_id,
            amount=credit.amount,
        )
    )
    _, cancelled, _ = await return_of(khaos_adapter, "8604", order="#1004")
    assert await khaos_control.close_return(cancelled.id) == "Cancelled"  # a person, in Khaos
    statuses = await khaos_adapter.return_statuses(["8601", "8602", "8603", "8604", "8699"])
    assert {r: (s.document_id, s.erp_status, s.state) for r, s in statuses.items()} == {
        "8601": (new.id, "New", ErpReturnState.OPEN),
        "8602": (part.id, "Part Received", ErpReturnState.RECEIVED),
        "8603": (issued.id, "Issued", ErpReturnState.CREDITED),
        "8604": (cancelled.id, "Cancelled", ErpReturnState.CANCELLED),
    }


async def test_a_status_the_config_does_not_know_is_left_out_not_guessed(
    khaos_served: ServedApp, khaos_control: KhaosSandboxControl, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = make_khaos(khaos_served.url, return_states={"Received": ErpReturnState.RECEIVED})
    try:
        await return_of(adapter, "8611")
        with caplog.at_level(logging.WARNING, logger="adapters.erp.return_states"):
            assert await adapter.return_statuses(["8611"]) == {}
        [warning] = caplog.records
        assert "'New' of return 8611 has no state" in warning.getMessage()
    finally:
        await adapter.aclose()


async def test_the_status_sweep_reads_a_few_returns_at_once(
    khaos_served: ServedApp, khaos_control: KhaosSandboxControl
) -> None:
    adapter = make_khaos(khaos_served.url, status_concurrency=2)
    try:
        ids = [str(8620 + n) for n in range(5)]
        for rid, order in zip(ids, ["#1001", "#1002", "#1003", "#1004", "#1005"], strict=True):
            await return_of(adapter, rid, order=order)
        await khaos_control.faults(latency_ms=100)
        before = len(await khaos_control.calls())
        assert sorted(await adapter.return_statuses(ids + ids)) == ids
        calls = (await khaos_control.calls())[before:]
        assert calls == ["ExportDocuments"] * 5  # one a return, repeats asked once
        assert await khaos_control.peak_in_flight() == 2
    finally:
        await adapter.aclose()


async def test_the_review_flag_is_set_once_by_its_configured_field(
    khaos_adapter: KhaosAdapter, khaos_control: KhaosSandboxControl
) -> None:
    _, ra, _ = await return_of(khaos_adapter, "8631")
    request = ReviewFlagRequest(return_authorization_id=ra.id, note="fraud check in Loop")
    first = await khaos_adapter.flag_for_review(request)
    again = await khaos_adapter.flag_for_review(request)
    assert first == again and first.id == ra.id and first.external_id == external_id("8631", "ra")
    [ret] = await khaos_control.documents("Return")
    assert ret["fields"] == {"ON_HOLD": True, "URGENT": False, "HOLD_REASON": "fraud check in Loop"}
    assert (await khaos_adapter.return_statuses(["8631"]))["8631"].review
    with pytest.raises(NotFoundError):
        await khaos_adapter.flag_for_review(
            ReviewFlagRequest(return_authorization_id="RT99999", note="x")
        )


async def test_a_flag_field_the_return_does_not_have_is_refused_inside_the_answer(
    khaos_served: ServedApp, khaos_control: KhaosSandboxControl
) -> None:
    urgent = make_khaos(khaos_served.url, review_flag="URGENT", review_note=None)
    wrong = make_khaos(khaos_served.url, review_flag="REVIEW_ME")
    try:
        _, ra, _ = await return_of(urgent, "8641")
        await khaos_control.set_return_fields(ra.id, URGENT=True)  # ticked in the Returns screen
        assert (await urgent.return_statuses(["8641"]))["8641"].review
        with pytest.raises(BusinessError) as caught:
            await wrong.flag_for_review(ReviewFlagRequest(return_authorization_id=ra.id, note="x"))
        assert caught.value.code == "FIELD_NOT_FOUND"
        assert not (await wrong.return_statuses(["8641"]))["8641"].review
    finally:
        await urgent.aclose()
        await wrong.aclose()


@pytest.mark.parametrize(("cap", "peak"), [(2, 2), (None, 6)])
async def test_requests_in_flight_stay_under_the_cap(
    khaos_served: ServedApp, khaos_control: KhaosSandboxControl, cap: int | None, peak: int
) -> None:
    adapter = make_khaos(khaos_served.url, max_concurrency=cap)
    await khaos_control.faults(latency_ms=150)  # each call holds the service a while
    try:
        names = ["#1001", "#1002", "#1003", "#1004", "#1005", "#1006"]
        await asyncio.gather(*(adapter.find_sales_order(OrderRef(order_name=n)) for n in names))
        assert await khaos_control.peak_in_flight() == peak
    finally:
        await adapter.aclose()


async def test_wrong_credentials_are_an_auth_error(
    khaos_served: ServedApp, khaos_control: KhaosSandboxControl
) -> None:
    adapter = KhaosAdapter(base_url=khaos_served.url, username=KHAOS_USER, password="wrong")
    try:
        with pytest.raises(AuthError):
            await adapter.find_sales_order(OrderRef(order_name="#1001"))
    finally:
        await adapter.aclose()


@pytest.mark.parametrize(
    ("code", "message", "kind"),
    [
        ("Server", "Return does not exist or has been deleted", NotFoundError),
        ("Server", "Return has already been processed", ConflictError),
        ("Server", "Return has been partially processed", ConflictError),
        ("Server", "Return Code or Auth Code not defined", BusinessError),
        ("Client", "Method 'ProcessReturn' not implemented", BusinessError),
        ("Server", "Deadlock found when trying to get lock", RetryableError),
        ("Server", "Access violation at address 0040A1B2", RetryableError),
        ("Client", "Something we never saw", BusinessError),
    ],
)
def test_fault_texts_are_typed(code: str, message: str, kind: type) -> None:
    error = from_fault(code, message)
    assert type(error) is kind
    assert message in error.message


async def raw_call(base_url: str, operation: str, args: dict[str, str]) -> httpx.Response:
    body = soap.envelope(
        soap.SoapCall(operation, args, {"UserName": KHAOS_USER, "Password": KHAOS_PASSWORD})
    )
    async with httpx.AsyncClient() as http:
        return await http.post(
            base_url + soap_path(), content=body, headers={"Content-Type": "text/xml"}
        )
