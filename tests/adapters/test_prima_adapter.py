"""Prima specifics through the handler sandbox over loopback: SKUs mapped to style, colour and
size, depots chosen by the return reason, transfers out of the depot after inspection, the
sales credit posted only when the payment gateway confirms the refund, and RequestStatus="ERROR"
answers inside a successful reply read and typed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from adapters.erp import soap
from adapters.erp.prima import PrimaAdapter, PrimaConfig, write_mapping
from adapters.erp.protocol import external_id
from adapters.errors import (
    BusinessError,
    NotFoundError,
    UnknownItemError,
    UnmappedCodeError,
)
from adapters.sandbox.prima import PrimaSandboxControl, soap_path
from adapters.sandbox.server import ServedApp
from tests.adapters.prima_fixtures import *  # noqa: F403
from tests.adapters.prima_fixtures import make_prima
from workflows.model import (
    CloseAuthorizationRequest,
    CreditRequest,
    Disposition,
    DispositionRequest,
    ErpDocumentKind,
    ErpLineRequest,
    ErpReturnState,
    ItemReceiptRequest,
    Money,
    OrderRef,
    RefundRequest,
    ReturnAuthorizationRequest,
    ReviewFlagRequest,
)


async def returned(
    adapter: PrimaAdapter, rid: str, reasons: dict[str, str | None], order: str = "#1001"
):
    """A return of the whole order, each SKU with its Loop reason, received into its depots."""
    found = await adapter.find_sales_order(OrderRef(order_name=order))
    lines = [
        ErpLineRequest(
            order_line=x.line, item_id=x.item_id, quantity=x.quantity, reason=reasons.get(x.sku)
        )
        for x in found.lines
    ]
    ra = await adapter.create_return_authorization(
        ReturnAuthorizationRequest(
            external_id=external_id(rid, "ra"), return_id=rid, order_id=found.id, lines=lines
        )
    )
    receipt = await adapter.receive_return(
        ItemReceiptRequest(
            external_id=external_id(rid, "ir"),
            return_authorization_id=ra.id,
            location_id="holding",
            lines=lines,
        )
    )
    return found, ra, receipt


async def test_orders_come_back_as_style_colour_size_with_the_shop_skus(
    prima_adapter: PrimaAdapter,
) -> None:
    order = await prima_adapter.find_sales_order(OrderRef(order_name="#1003"))
    assert [(x.item_id, x.sku) for x in order.lines] == [
        ("SNK/WHT/42", "SNK-WHT-42"),
        ("TEE/WHT/M", "TEE-WHT-M"),
    ]
    assert order.customer_id == "C103" and order.id == "SO9003"


async def test_unmapped_and_unknown_items_are_told_apart(
    prima_served: ServedApp, prima_control
) -> None:
    adapter = make_prima(
        prima_served.url, items={"TEE-BLK-M": ("TEE", "BLK", "M"), "ODD-1": ("TEE", "PNK", "XS")}
    )
    try:
        with pytest.raises(UnknownItemError) as unmapped:
            await adapter.resolve_items(["TEE-BLK-M", "SCF-RED-OS"])
        assert unmapped.value.skus == ["SCF-RED-OS"] and unmapped.value.code == "UNMAPPED_SKU"
        with pytest.raises(UnknownItemError) as unknown:
            await adapter.resolve_items(["TEE-BLK-M", "ODD-1"])
        assert unknown.value.skus == ["ODD-1"] and unknown.value.code == "UNKNOWN_MATRIX_CODE"
    finally:
        await adapter.aclose()


def test_the_mapping_file_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "mappings.toml"
    write_mapping(
        path, {"TEE-BLK-M": ("TEE", "BLK", "M"), 'ODD "Q"': ("A", "B", "C")}, {"Damaged": "FAULTY"}
    )
    config = replace(PrimaConfig.from_file(path), default_reason="SIZE")
    assert config.items == {"TEE-BLK-M": ("TEE", "BLK", "M"), 'ODD "Q"': ("A", "B", "C")}
    assert config.reason("Damaged") == "FAULTY" and config.reason("Too big") == "SIZE"


async def test_the_return_reason_picks_the_receiving_depot(
    prima_served: ServedApp, prima_control
) -> None:
    adapter = make_prima(prima_served.url, reasons={"Arrived damaged": "FAULTY"})
    try:
        await returned(
            adapter, "6101", {"TEE-BLK-M": "Arrived damaged", "SCF-RED-OS": "Changed my mind"}
        )
        assert await prima_control.level("TEE/BLK/M", "QUARANTINE") == 2
        assert await prima_control.level("SCF/RED/OS", "RETURNS") == 1
        assert await prima_control.level("TEE/BLK/M", "MAIN") == 20  # nothing sellable yet
        [ret] = await prima_control.documents("SalesReturn")
        assert {x["ReasonCode"]: x["Depot"] for x in ret["lines"]} == {
            "FAULTY": "QUARANTINE",
            "UNWANTED": "RETURNS",
        }
    finally:
        await adapter.aclose()


async def test_inspection_transfers_out_of_the_depot_each_line_landed_in(
    prima_served: ServedApp, prima_control: PrimaSandboxControl
) -> None:
    adapter = make_prima(prima_served.url, reasons={"Arrived damaged": "FAULTY"})
    try:
        order, _, receipt = await returned(adapter, "6102", {"TEE-BLK-M": "Arrived damaged"})
        lines = [
            ErpLineRequest(order_line=x.line, item_id=x.item_id, quantity=1) for x in order.lines
        ]
        doc = await adapter.post_disposition(
            DispositionRequest(
                external_id=external_id("6102", "dsp-restock"),
                return_id="6102",
                disposition=Disposition.RESTOCK,
                item_receipt_id=receipt.id,
                from_location_id="holding",
                to_location_id="sellable",
                lines=lines,
            )
        )
        [transfer] = await prima_control.documents("StockTransfer")
        assert transfer["code"] == doc.id and transfer["Reason"] == "restock"
        assert transfer["moves"] == [
            ["TEE/BLK/M", "QUARANTINE", -1],
            ["TEE/BLK/M", "MAIN", 1],
            ["SCF/RED/OS", "RETURNS", -1],
            ["SCF/RED/OS", "MAIN", 1],
        ]
    finally:
        await adapter.aclose()


async def test_the_credit_note_posts_only_when_the_gateway_confirms_the_refund(
    prima_adapter: PrimaAdapter, prima_control: PrimaSandboxControl
) -> None:
    order, ra, _ = await returned(prima_adapter, "6201", {})
    credit = await prima_adapter.create_credit(
        CreditRequest(external_id=external_id("6201", "cm"), return_authorization_id=ra.id)
    )
    assert credit.status == "Awaiting Payment" and credit.amount is not None
    [pending] = await prima_control.documents("SalesCredit")
    assert pending["status"] == "Awaiting Payment"
    with pytest.raises(BusinessError):  # more than the credit: refused inside a 200
        await prima_adapter.issue_refund(
            RefundRequest(
                external_id=external_id("6201", "rf"),
                credit_id=credit.id,
                customer_id=order.customer_id,
                amount=Money.of(credit.amount.amount + 1, "GBP"),
                storefront_refund_reference="psp-ref-1",
            )
        )
    refund = await prima_adapter.issue_refund(
        RefundRequest(
            external_id=external_id("6201", "rf"),
            credit_id=credit.id,
            customer_id=order.customer_id,
            amount=credit.amount,
            storefront_refund_reference="psp-ref-1",
        )
    )
    [posted] = await prima_control.documents("SalesCredit")
    [payment] = await prima_control.documents("CreditPayment")
    assert posted["status"] == "Posted"
    assert payment["code"] == refund.id and payment["PaymentRef"] == "psp-ref-1"
    assert payment["Tender"] == "Card"


async def test_errors_inside_a_successful_reply_are_typed(
    prima_served: ServedApp, prima_control
) -> None:
    request = '<Request RequestType="OrderStatus"><Data OrderNumber="#404"/></Request>'
    body = soap.envelope(soap.SoapCall("wsomhandler", {"Request": request}, namespace="urn:omlink"))
    async with httpx.AsyncClient() as http:
        raw = await http.post(
            prima_served.url + soap_path(), content=body, headers={"Content-Type": "text/xml"}
        )
    assert raw.status_code == 200
    reply = soap.parse(soap.read_reply(raw.content).result or "")
    assert reply.get("RequestStatus") == "ERROR" and "not found" in reply.get("RequestError", "")

    adapter = make_prima(prima_served.url, default_reason="NO-SUCH-REASON")
    try:
        with pytest.raises(NotFoundError):
            await adapter.get_sales_order("SO-NOPE")
        order = await adapter.find_sales_order(OrderRef(order_name="#1002"))
        with pytest.raises(UnmappedCodeError) as caught:
            await adapter.create_return_authorization(
                ReturnAuthorizationRequest(
                    external_id=external_id("6301", "ra"),
                    return_id="6301",
                    order_id=order.id,
                    lines=[
                        ErpLineRequest(order_line="1", item_id=order.lines[0].item_id, quantity=1)
                    ],
                )
            )
        assert caught.value.kind == "reason" and caught.value.value == "NO-SUCH-REASON"
    finally:
        await adapter.aclose()


async def test_the_company_handler_needs_the_right_company(
    prima_served: ServedApp, prima_control
) -> None:
    right = make_prima(prima_served.url, company="01")
    wrong = make_prima(prima_served.url, company="99")
    try:
        assert (await right.find_sales_order(OrderRef(order_name="#1004"))).id == "SO9004"
        with pytest.raises(BusinessError):
            await wrong.find_sales_order(OrderRef(order_name="#1004"))
    finally:
        await right.aclose()
        await wrong.aclose()


async def test_a_credit_awaiting_payment_is_not_in_the_ledger_until_it_posts(
    prima_adapter: PrimaAdapter,
) -> None:
    """So reconciliation sees a storefront refund with no posted credit note past its window."""
    since = datetime.now(UTC) - timedelta(hours=1)
    order, ra, _ = await returned(prima_adapter, "6301", {})
    credit = await prima_adapter.create_credit(
        CreditRequest(external_id=external_id("6301", "cm"), return_authorization_id=ra.id)
    )

    async def listed() -> list[str | None]:
        until = datetime.now(UTC) + timedelta(hours=1)
        entries = prima_adapter.iter_documents(ErpDocumentKind.CREDIT_MEMO, since, until)
        return [e.return_id async for e in entries]

    assert "6301" not in await listed()
    assert credit.amount is not None
    await prima_adapter.issue_refund(
        RefundRequest(
            external_id=external_id("6301", "rf"),
            credit_id=credit.id,
            customer_id=order.customer_id,
            amount=credit.amount,
            storefront_refund_reference="psp-ref-2",
        )
    )
    assert "6301" in await listed()


# --- the status sweep and the hold flag ---------------------------------------------------


async def authorised(adapter: PrimaAdapter, rid: str, order: str) -> str:
    found = await adapter.find_sales_order(OrderRef(order_name=order))
    lines = [
        ErpLineRequest(order_line=x.line, item_id=x.item_id, quantity=x.quantity)
        for x in found.lines
    ]
    ra = await adapter.create_return_authorization(
        ReturnAuthorizationRequest(
            external_id=external_id(rid, "ra"), return_id=rid, order_id=found.id, lines=lines
        )
    )
    return ra.id


async def test_return_statuses_go_out_in_batches_of_return_refs(
    prima_served: ServedApp, prima_control: PrimaSandboxControl
) -> None:
    adapter = make_prima(prima_served.url, status_batch_size=2)
    try:
        open_ra = await authorised(adapter, "6401", "#1002")
        _, received_ra, _ = await returned(adapter, "6402", {}, order="#1003")
        closed_ra = await authorised(adapter, "6403", "#1004")
        assert await prima_control.close_return(closed_ra) == "Closed"  # a person, in Prima
        before = len(await prima_control.calls())
        statuses = await adapter.return_statuses(["6401", "6402", "6403", "6498", "6499", "6401"])
        assert len(await prima_control.calls()) - before == 3  # five refs, two a request
        assert {r: (s.document_id, s.erp_status, s.state) for r, s in statuses.items()} == {
            "6401": (open_ra, "Open", ErpReturnState.OPEN),
            "6402": (received_ra.id, "Received", ErpReturnState.RECEIVED),
            "6403": (closed_ra, "Closed", ErpReturnState.CLOSED),
        }
    finally:
        await adapter.aclose()


async def test_a_return_closed_in_prima_takes_no_credit_and_stays_closed(
    prima_adapter: PrimaAdapter, prima_control: PrimaSandboxControl
) -> None:
    _, ra, _ = await returned(prima_adapter, "6411", {})
    await prima_control.close_return(ra.id)
    with pytest.raises(BusinessError):
        await prima_adapter.create_credit(
            CreditRequest(external_id=external_id("6411", "cm"), return_authorization_id=ra.id)
        )
    closed = await prima_adapter.close_return_authorization(
        CloseAuthorizationRequest(return_authorization_id=ra.id, reason="cancelled in Loop")
    )
    assert closed.status == "Closed"  # already ended: cancelling it changes nothing
    _, credited, _ = await returned(prima_adapter, "6412", {}, order="#1002")
    await prima_adapter.create_credit(
        CreditRequest(external_id=external_id("6412", "cm"), return_authorization_id=credited.id)
    )
    with pytest.raises(httpx.HTTPStatusError) as refused:  # its credit is raised: too late
        await prima_control.close_return(credited.id)
    assert refused.value.response.status_code == 409


async def test_the_hold_flag_is_set_once_as_yes_by_its_configured_attribute(
    prima_adapter: PrimaAdapter, prima_control: PrimaSandboxControl
) -> None:
    ra = await authorised(prima_adapter, "6421", "#1001")
    request = ReviewFlagRequest(return_authorization_id=ra, note="fraud check in Loop")
    first = await prima_adapter.flag_for_review(request)
    again = await prima_adapter.flag_for_review(request)
    assert first == again and first.id == ra and first.external_id == external_id("6421", "ra")
    [ret] = await prima_control.documents("SalesReturn")
    assert ret["fields"] == {"OnHold": True, "Query": False, "HoldReason": "fraud check in Loop"}
    status = (await prima_adapter.return_statuses(["6421"]))["6421"]
    assert status.review and status.state is ErpReturnState.OPEN
    with pytest.raises(NotFoundError):
        await prima_adapter.flag_for_review(
            ReviewFlagRequest(return_authorization_id="RN99999", note="x")
        )


async def test_the_review_attribute_is_read_and_written_by_its_configured_name(
    prima_served: ServedApp, prima_control: PrimaSandboxControl
) -> None:
    query = make_prima(prima_served.url, review_flag="Query", review_note=None)
    wrong = make_prima(prima_served.url, review_flag="ReviewMe")
    try:
        ra = await authorised(query, "6431", "#1001")
        await prima_control.set_return_fields(ra, Query=True)  # ticked in Prima's screen
        assert (await query.return_statuses(["6431"]))["6431"].review
        with pytest.raises(BusinessError) as caught:
            await wrong.flag_for_review(ReviewFlagRequest(return_authorization_id=ra, note="x"))
        assert "ReviewMe" in caught.value.message
        [ret] = await prima_control.documents("SalesReturn")
        assert ret["fields"]["HoldReason"] == ""  # the refused request changed nothing
    finally:
        await query.aclose()
        await wrong.aclose()
