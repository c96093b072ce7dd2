"""PrimaAdapter: the ErpAdapter protocol over Prima's generic XML request handler.

How the protocol maps onto Prima:
- items: the shop's SKUs become style + colour + size through the mapping file; our item id is
  STYLE/COLOUR/SIZE. An unmapped SKU is an UnknownItemError before Prima is even asked.
- RA -> NewCustomerReturn (ReturnRef = our external id); each line's reason picks its depot
  (resale returns depot or quarantine, both non-nettable). Receipt -> ReceiveReturn into those
  depots; dispositions -> TransferStock out of the depot each line was received into.
- credit -> CompleteReturn: Prima values the sales credit (net, VAT, gross) and holds it
  "Awaiting Payment". refund -> ConfirmCreditPayment: the payment gateway's confirmation
  (the storefront's refund reference, else our refund's external id) posts the credit note.
  Prima never moves money itself. Store credit is the same confirmation with a gift voucher.
- exchange -> NewOrder through the WEB channel (refused for items not web sellable), carrying
  the credit number as ExchCreditNo.
- return status -> MultiReturnStatus, several ReturnRefs a request (a row whose return Prima
  cannot find is left out); review -> UpdateReturn sets the configured hold attribute.
Every write carries our external id (ReturnRef, ReceiptRef, TransferRef, CreditRef, UniqueId),
and a repeat returns the first document, so a retry after a lost answer never duplicates.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator

import httpx

from adapters.erp.listing import DocumentListing
from adapters.erp.protocol import external_id
from adapters.erp.soap import children, parse, read_bool, to_text
from adapters.erp.soap_channel import SoapChannel
from adapters.errors import NotFoundError, UnknownItemError
from adapters.http import RetryPolicy
from workflows.model import (
    Availability,
    CloseAuthorizationRequest,
    CreditRequest,
    DispositionRequest,
    ErpCredit,
    ErpDocument,
    ErpDocumentKind,
    ErpLedgerEntry,
    ErpOrder,
    ErpReturnStatus,
    ItemReceiptRequest,
    OrderRef,
    RefundRequest,
    ReturnAuthorizationRequest,
    ReviewFlagRequest,
    SalesOrderRequest,
    StoreCreditRequest,
)

from . import documents
from .config import PrimaConfig, item_id, matrix_of
from .errors import from_fault, from_request_error

NAMESPACE = "urn:omlink"
HOLDING = "holding"


def _matrix_attrs(item: str) -> dict[str, str]:
    product, colour, size = matrix_of(item)
    return {"Product": product, "MtrxCode1": colour, "MtrxCode2": size}


def _data(**attrs: object) -> ET.Element:
    return ET.Element("Data", {k: str(v) for k, v in attrs.items() if v is not None})


def _missing(row: ET.Element) -> bool:
    """A Multi- row's own Error: a return Prima cannot find is left out, anything else raised."""
    error = row.get("Error")
    if not error:
        return False
    refused = from_request_error("MultiReturnStatus", error)
    if isinstance(refused, NotFoundError):
        return True
    raise refused


AWAITING = "Awaiting Payment"  # Prima holds a calculated credit until payment confirms


class PrimaAdapter(DocumentListing):
    system = "prima"

    def __init__(
        self,
        *,
        base_url: str,
        env: str = "1",
        config: PrimaConfig = PrimaConfig(),
        retry: RetryPolicy = RetryPolicy(),
        timeout: float = 30.0,
        max_concurrency: int | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self._soap = SoapChannel(
            base_url,
            f"/wsa/wsa{env}",
            system="Prima",
            namespace=NAMESPACE,
            classify_fault=from_fault,
            retry=retry,
            timeout=timeout,
            max_concurrency=max_concurrency,
            transport=transport,
        )

    async def _request(self, request_type: str, data: ET.Element) -> ET.Element:
        """The reply's Data; RequestStatus="ERROR" (inside a 200) raised as a typed error."""
        request = ET.Element("Request", RequestType=request_type)
        request.append(data)
        args = {"Request": to_text(request)}
        operation = "wsomhandler"
        if self.config.company:
            operation, args = "comwsomhandler", {"CompanyId": self.config.company, **args}
        reply = parse(await self._soap.call(operation, args))
        if reply.get("RequestStatus", "").upper() != "OK":
            raise from_request_error(request_type, reply.get("RequestError", "") or "no detail")
        return next(iter(children(reply, "Data")), _data())

    # --- reads ----------------------------------------------------------------------------

    def _order(self, data: ET.Element) -> ErpOrder:
        return documents.order(data, self.config.sku_of)

    async def find_sales_order(self, ref: OrderRef) -> ErpOrder:
        keys = list(dict.fromkeys(k for k in (ref.order_name, ref.order_number) if k))
        for key in keys:
            try:
                return self._order(await self._request("OrderStatus", _data(OrderNumber=key)))
            except NotFoundError:
                continue
        raise NotFoundError(
            f"no Prima order for {' / '.join(keys) or 'an order without number'}",
            code="ORDER_NOT_FOUND",
            details={"order": ref.model_dump(exclude_none=True)},
        )

    async def get_sales_order(self, order_id: str) -> ErpOrder:
        return self._order(await self._request("OrderStatus", _data(PrimaOrderNo=order_id)))

    async def _available(self, items: list[str]) -> dict[str, ET.Element]:
        data = _data()
        for item in items:
            ET.SubElement(data, "Item", _matrix_attrs(item))
        rows = children(await self._request("MultiAvailableToSell", data), "Item")
        found = {item_id(documents.matrix(r)): r for r in rows if not r.get("Error")}
        missing = [i for i in items if i not in found]
        if missing:
            raise UnknownItemError(
                f"Prima has no matrix item {', '.join(missing)}",
                skus=missing,
                code="UNKNOWN_MATRIX_CODE",
            )
        return found

    async def resolve_items(self, skus: list[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(skus))
        unmapped = [sku for sku in wanted if sku not in self.config.items]
        if unmapped:
            raise UnknownItemError(
                f"the Prima mapping file has no style/colour/size for SKU {', '.join(unmapped)}",
                skus=unmapped,
                code="UNMAPPED_SKU",
            )
        mapped = {sku: item_id(self.config.items[sku]) for sku in wanted}
        try:
            await self._available(list(mapped.values()))
        except UnknownItemError as exc:
            skus = [sku for sku, item in mapped.items() if item in exc.skus]
            raise UnknownItemError(exc.message, skus=skus, code=exc.code) from exc
        return mapped

    async def check_availability(self, item_ids: list[str]) -> list[Availability]:
        wanted = list(dict.fromkeys(item_ids))
        found = await self._available(wanted)
        return [
            Availability(
                item_id=item,
                available=int(found[item].get("AvailableQuantity", "0")),
                sellable=read_bool(found[item].get("WebSellable", "No")),
            )
            for item in wanted
        ]

    async def _rows(
        self,
        kind: ErpDocumentKind,
        *,
        ref: str = "",
        code: str = "",
        since: str = "",
        until: str = "",
    ) -> AsyncIterator[ET.Element]:
        """DocumentList, following More/Next page by page."""
        start = "0"
        while True:
            query = _data(
                DocType=documents.DOC_TYPES[kind],
                Reference=ref or None,
                Number=code or None,
                FromDate=since or None,
                ToDate=until or None,
                Start=start,
            )
            data = await self._request("DocumentList", query)
            for row in children(data, "Document"):
                yield row
            if not read_bool(data.get("More", "No")):
                return
            start = data.get("Next", "0")

    def _kind_of(self, row: ET.Element) -> ErpDocumentKind:
        return documents.kind_of(row)

    def _document(self, row: ET.Element, kind: ErpDocumentKind) -> ErpDocument:
        return documents.document(row, kind)

    def _entry(self, row: ET.Element, kind: ErpDocumentKind) -> ErpLedgerEntry:
        return documents.ledger_entry(row, kind)

    def _in_ledger(self, row: ET.Element, kind: ErpDocumentKind) -> bool:
        """A sales credit awaiting the gateway's confirmation is not posted yet: a refund it
        stays behind for longer than the grace window is refund_without_credit."""
        return not (kind is ErpDocumentKind.CREDIT_MEMO and row.get("Status") == AWAITING)

    async def concurrency_limit(self) -> int | None:
        return None

    async def return_statuses(self, return_ids: list[str]) -> dict[str, ErpReturnStatus]:
        refs = {external_id(r, "ra"): r for r in return_ids}  # each row echoes its ReturnRef
        wanted, size = list(refs), self.config.status_batch_size
        statuses: dict[str, ErpReturnStatus] = {}
        for chunk in (wanted[i : i + size] for i in range(0, len(wanted), size)):
            data = _data()
            for ref in chunk:
                ET.SubElement(data, "Return", ReturnRef=ref)
            for row in children(await self._request("MultiReturnStatus", data), "Return"):
                return_id = refs.get(row.get("ReturnRef", ""))
                status = None
                if return_id is not None and not _missing(row):
                    status = documents.return_status(return_id, row, self.config)
                if status is not None:
                    statuses[status.return_id] = status
        return statuses

    # --- writes ---------------------------------------------------------------------------

    async def create_return_authorization(self, request: ReturnAuthorizationRequest) -> ErpDocument:
        data = _data(
            ReturnRef=request.external_id, OrderNumber=request.order_id, Notes=request.memo
        )
        for line in request.lines:
            ET.SubElement(
                data,
                "ReturnLineData",
                {
                    **_matrix_attrs(line.item_id),
                    "LineNo": line.order_line,
                    "Quantity": str(line.quantity),
                    "ReasonCode": self.config.reason(line.reason),
                },
            )
        reply = await self._request("NewCustomerReturn", data)
        return documents.written(
            ErpDocumentKind.RETURN_AUTHORIZATION, reply, "ReturnNumber", request.external_id
        )

    async def receive_return(self, request: ItemReceiptRequest) -> ErpDocument:
        """Into the depot each line's reason chose; `location_id` is Prima's to decide."""
        data = _data(ReturnNumber=request.return_authorization_id, ReceiptRef=request.external_id)
        for line in request.lines:
            ET.SubElement(
                data, "ReceiptLineData", LineNo=line.order_line, QtyReceived=str(line.quantity)
            )
        reply = await self._request("ReceiveReturn", data)
        return documents.written(
            ErpDocumentKind.ITEM_RECEIPT, reply, "ReceiptNumber", request.external_id
        )

    async def post_disposition(self, request: DispositionRequest) -> ErpDocument:
        """TransferStock from the depot each line was received into (for `holding`)."""
        received: dict[str, str] = {}
        if request.from_location_id in ("", HOLDING):
            status = await self._request(
                "ReturnStatus", _data(ReceiptNumber=request.item_receipt_id)
            )
            received = {
                r.get("LineNo", ""): r.get("Depot", "") for r in children(status, "ReturnLineData")
            }
        target = self.config.disposition_depots[request.disposition]
        if request.to_location_id and request.to_location_id not in ("", HOLDING):
            target = self.config.depots.get(request.to_location_id, request.to_location_id)
        data = _data(
            TransferRef=request.external_id, ToDepot=target, Reason=request.disposition.value
        )
        for line in request.lines:
            source = received.get(line.order_line) or self.config.depots.get(
                request.from_location_id, request.from_location_id
            )
            ET.SubElement(
                data,
                "TransferLineData",
                {
                    **_matrix_attrs(line.item_id),
                    "FromDepot": source,
                    "Quantity": str(line.quantity),
                },
            )
        reply = await self._request("TransferStock", data)
        kind = documents.DISPOSITION_KINDS[request.disposition]
        return documents.written(kind, reply, "TransferNumber", request.external_id)

    async def create_credit(self, request: CreditRequest) -> ErpCredit:
        """Prima values the sales credit now; it posts when the refund is confirmed."""
        data = _data(
            ReturnNumber=request.return_authorization_id,
            CreditRef=request.external_id,
            Action="Credit",
        )
        return documents.credit(await self._request("CompleteReturn", data), request.external_id)

    async def _confirm(
        self,
        kind: ErpDocumentKind,
        external_id: str,
        credit_id: str,
        amount: str,
        payment_ref: str,
        tender: str,
    ) -> ErpDocument:
        data = _data(
            CreditNumber=credit_id,
            UniqueId=external_id,
            PaymentRef=payment_ref,
            Tender=tender,
            Amount=amount,
        )
        reply = await self._request("ConfirmCreditPayment", data)
        return documents.written(kind, reply, "PaymentNumber", external_id)

    async def issue_refund(self, request: RefundRequest) -> ErpDocument:
        return await self._confirm(
            ErpDocumentKind.CUSTOMER_REFUND,
            request.external_id,
            request.credit_id,
            str(request.amount.amount),
            request.storefront_refund_reference or request.external_id,
            "Card",
        )

    async def issue_store_credit(self, request: StoreCreditRequest) -> ErpDocument:
        return await self._confirm(
            ErpDocumentKind.STORE_CREDIT,
            request.external_id,
            request.credit_id,
            str(request.amount.amount),
            request.gift_card_reference or request.external_id,
            "GiftVoucher",
        )

    async def create_sales_order(self, request: SalesOrderRequest) -> ErpDocument:
        data = _data(
            UniqueId=request.external_id,
            OrderNumber=request.external_id,
            Customer=request.customer_id,
            OrderChannel=self.config.order_channel,
            Currency=request.currency,
            VatInclusive="No",
        )
        for line in request.lines:
            ET.SubElement(
                data,
                "OrderLineData",
                {
                    **_matrix_attrs(line.item_id),
                    "Quantity": str(line.quantity),
                    "Price": str(line.rate),
                    "Warehouse": self.config.warehouse,
                },
            )
        if request.linked_credit_id:
            ET.SubElement(data, "OrderPaymentData", ExchCreditNo=request.linked_credit_id)
        reply = await self._request("NewOrder", data)
        return documents.written(
            ErpDocumentKind.SALES_ORDER, reply, "PrimaOrderNo", request.external_id
        )

    async def close_return_authorization(self, request: CloseAuthorizationRequest) -> ErpDocument:
        reply = await self._request(
            "CancelReturn",
            _data(ReturnNumber=request.return_authorization_id, Reason=request.reason),
        )
        row = await self._find(
            ErpDocumentKind.RETURN_AUTHORIZATION, code=request.return_authorization_id
        )
        external = row.get("Reference", "") if row is not None else ""
        return documents.written(
            ErpDocumentKind.RETURN_AUTHORIZATION, reply, "ReturnNumber", external
        )

    async def flag_for_review(self, request: ReviewFlagRequest) -> ErpDocument:
        """Set (never toggle) the hold attribute and its reason, so a repeat changes nothing."""
        fields = {self.config.review_flag: "Yes"}
        if self.config.review_note:
            fields[self.config.review_note] = request.note
        data = _data(ReturnNumber=request.return_authorization_id, **fields)
        reply = await self._request("UpdateReturn", data)
        return documents.written(
            ErpDocumentKind.RETURN_AUTHORIZATION, reply, "ReturnNumber", reply.get("ReturnRef", "")
        )

    async def aclose(self) -> None:
        await self._soap.aclose()
