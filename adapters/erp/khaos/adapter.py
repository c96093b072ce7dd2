"""KhaosAdapter: the ErpAdapter protocol over Khaos Control's IKosWeb SOAP service.

How the protocol maps onto Khaos (a return is a document of its own, not a transform):
- RA -> ImportReturns (New), keyed by ASSOCIATED_REF; lines carry the configured return reason,
  whose processing type (Quarantine) puts received stock in the quarantine location.
- receipt -> ReceiveReturn; credit -> ImportCreditNotes (lines never received are credited as
  Stock Missing: the financial record without a stock update, as keep-item and donate need).
- refund -> ProcessReturn(ReturnCode, ManualAuthCode): Khaos never calls a card processor, it
  records the refund as manual; the auth code is the storefront's refund reference when the
  money already moved there, else our refund's external id (finance pays it out by that ref).
- store credit -> IssueAccountCredit (the credit note stays on the customer's account: a liability).
- dispositions -> ImportStockAdjustments, one group per disposition (reason code = disposition).
- exchange -> ImportOrders through the web sales source: items not flagged for web sale refuse.
- return status -> ExportDocuments by ASSOCIATED_REF, one return a call (Khaos pushes nothing
  for returns); review -> UpdateReturns ticks the configured flag field on the return.
Every import is idempotent by ASSOCIATED_REF, so a retry after a lost answer finds the first.
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx

from adapters.erp.listing import DocumentListing
from adapters.erp.protocol import external_id
from adapters.erp.soap import child, children, element, parse, text_of, to_text
from adapters.erp.soap_channel import SoapChannel
from adapters.errors import (
    AdapterError,
    BusinessError,
    ConflictError,
    NotFoundError,
    UnknownItemError,
)
from adapters.http import RetryPolicy
from workflows.model import (
    Availability,
    CloseAuthorizationRequest,
    CreditRequest,
    Disposition,
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
from .batcher import Batcher
from .config import STOCK_CODE, KhaosConfig
from .errors import from_fault, from_row

NAMESPACE = "urn:KosWebIntf-IKosWeb"
Outcome = ErpCredit | AdapterError


def _list(tag: str, values: list[str], item: str = "ID") -> str:
    root = ET.Element(tag)
    for value in values:
        ET.SubElement(root, item).text = value
    return to_text(root)


def _rows(result: str) -> list[ET.Element]:
    return list(parse(result))


def _checked(row: ET.Element) -> ET.Element:
    """The row itself, or its ERROR raised as a typed error."""
    error = child(row, "ERROR")
    if error is not None:
        raise from_row(
            error.get("CODE", ""), (error.text or "").strip(), ref=text_of(row, "ASSOCIATED_REF")
        )
    return row


class KhaosAdapter(DocumentListing):
    system = "khaos"

    def __init__(
        self,
        *,
        base_url: str,
        username: str,
        password: str,
        exe: str = "KhaosIDS.exe",
        config: KhaosConfig = KhaosConfig(),
        retry: RetryPolicy = RetryPolicy(),
        timeout: float = 30.0,
        max_concurrency: int | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self._soap = SoapChannel(
            base_url,
            f"/{exe}/soap/IKosWeb",
            system="Khaos",
            namespace=NAMESPACE,
            classify_fault=from_fault,
            header={"UserName": username, "Password": password},
            retry=retry,
            timeout=timeout,
            max_concurrency=max_concurrency,
            transport=transport,
        )
        self._credits: Batcher[ET.Element, Outcome] = Batcher(
            self._post_credit_notes,
            window=config.batch_window_seconds,
            size=config.batch_size,
        )

    # --- reads ----------------------------------------------------------------------------

    async def _orders(self, ids: list[str], id_type: str) -> list[ErpOrder]:
        result = await self._soap.call(
            "ExportOrders", {"IDs": _list("IDS", ids), "IDType": id_type}
        )
        return [documents.order(node) for node in _rows(result)]

    async def find_sales_order(self, ref: OrderRef) -> ErpOrder:
        """By the channel order's ASSOCIATED_REF: the Shopify order name, then its number."""
        keys = list(dict.fromkeys(k for k in (ref.order_name, ref.order_number) if k))
        for key in keys:
            found = await self._orders([key], "AssociatedRef")
            if found:
                return found[0]
        raise NotFoundError(
            f"no Khaos sales order for {' / '.join(keys) or 'an order without name'}",
            code="ORDER_NOT_FOUND",
            details={"order": ref.model_dump(exclude_none=True)},
        )

    async def get_sales_order(self, order_id: str) -> ErpOrder:
        found = await self._orders([order_id], "SOrderCode")
        if not found:
            raise NotFoundError(f"no Khaos sales order {order_id}", code="ORDER_NOT_FOUND")
        return found[0]

    async def resolve_items(self, skus: list[str]) -> dict[str, str]:
        """SKU -> stock code, matched with the configured MAPPING_TYPE."""
        wanted = list(dict.fromkeys(skus))
        result = await self._soap.call(
            "ExportStock",
            {
                "StockCodes": _list("STOCK_CODES", wanted, "CODE"),
                "MappingType": str(self.config.mapping_type),
            },
        )
        found = {text_of(r, "REQUESTED"): text_of(r, "STOCK_CODE") for r in _rows(result)}
        missing = [sku for sku in wanted if sku not in found]
        if missing:
            raise UnknownItemError(
                f"Khaos has no stock item for SKU {', '.join(missing)} "
                f"(mapping type {self.config.mapping_type})",
                skus=missing,
                code="UNKNOWN_ITEM",
            )
        return {sku: found[sku] for sku in wanted}

    async def check_availability(self, item_ids: list[str]) -> list[Availability]:
        wanted = list(dict.fromkeys(item_ids))
        result = await self._soap.call(
            "ExportStockStatus",
            {
                "StockCodes": _list("STOCK_CODES", wanted, "CODE"),
                "MappingType": str(STOCK_CODE),
                "SiteID": self.config.site_id,
            },
        )
        found = {a.item_id: a for a in map(documents.availability, _rows(result))}
        missing = [i for i in wanted if i not in found]
        if missing:
            raise UnknownItemError(
                f"Khaos has no stock item {', '.join(missing)}", skus=missing, code="UNKNOWN_ITEM"
            )
        return [found[i] for i in wanted]

    async def _rows(
        self,
        kind: ErpDocumentKind,
        *,
        ref: str = "",
        code: str = "",
        since: str = "",
        until: str = "",
    ) -> AsyncIterator[ET.Element]:
        """ExportDocuments, following its CONTINUATION page by page."""
        continuation = ""
        while True:
            spec = element(
                "FILTER",
                {
                    "DOC_TYPE": documents.DOC_TYPES[kind],
                    "ASSOCIATED_REF": ref or None,
                    "CODE": code or None,
                    "DATE_FROM": since or None,
                    "DATE_TO": until or None,
                    "CONTINUATION": continuation,
                },
            )
            root = parse(await self._soap.call("ExportDocuments", {"Filter": to_text(spec)}))
            for row in children(root, "DOCUMENT"):
                yield row
            continuation = text_of(root, "CONTINUATION")
            if not continuation:
                return

    def _kind_of(self, row: ET.Element) -> ErpDocumentKind:
        return documents.kind_of(row, self.config.adjustment_reasons)

    def _document(self, row: ET.Element, kind: ErpDocumentKind) -> ErpDocument:
        return documents.document(row, kind)

    def _entry(self, row: ET.Element, kind: ErpDocumentKind) -> ErpLedgerEntry:
        return documents.ledger_entry(row, kind)

    async def concurrency_limit(self) -> int | None:
        return None  # IKosWeb publishes no limit

    async def return_statuses(self, return_ids: list[str]) -> dict[str, ErpReturnStatus]:
        """ExportDocuments filters by one ASSOCIATED_REF, so one call a return, a few at once."""
        slots = asyncio.Semaphore(self.config.status_concurrency)

        async def one(return_id: str) -> ErpReturnStatus | None:
            async with slots:
                row = await self._find(
                    ErpDocumentKind.RETURN_AUTHORIZATION, ref=external_id(return_id, "ra")
                )
            return None if row is None else documents.return_status(return_id, row, self.config)

        found = await asyncio.gather(*map(one, dict.fromkeys(return_ids)))
        return {status.return_id: status for status in found if status is not None}

    # --- writes ---------------------------------------------------------------------------

    async def _import_one(self, operation: str, arg: str, payload: ET.Element) -> ET.Element:
        """One record through an Import* call; its ERROR (inside a 200) raised typed."""
        rows = _rows(await self._soap.call(operation, {arg: to_text(payload)}))
        if not rows:
            raise BusinessError(f"Khaos {operation} answered no record", code="EMPTY_ANSWER")
        return _checked(rows[0])

    async def create_return_authorization(self, request: ReturnAuthorizationRequest) -> ErpDocument:
        record = element(
            "RETURN",
            {"ASSOCIATED_REF": request.external_id, "NOTES": request.memo},
        )
        source = ET.SubElement(record, "SOURCE")
        ET.SubElement(source, "SORDER_CODE").text = request.order_id
        items = ET.SubElement(record, "RETURN_ITEMS")
        for n, line in enumerate(request.lines, start=1):
            items.append(
                element(
                    "RETURN_ITEM",
                    {
                        "SORDER_ITEM_ID": line.order_line,
                        "STOCK_CODE": line.item_id,
                        "MAPPING_TYPE": STOCK_CODE,
                        "QTY": line.quantity,
                        "RETURN_REASON": self.config.reason(line.reason),
                        "IMPORT_REF": f"{request.external_id}-{n}",
                    },
                )
            )
        returns = ET.Element("RETURNS")
        returns.append(record)
        row = await self._import_one("ImportReturns", "Returns", returns)
        return ErpDocument(
            kind=ErpDocumentKind.RETURN_AUTHORIZATION,
            id=text_of(row, "RETURN_CODE"),
            external_id=request.external_id,
            status=text_of(row, "STATUS") or None,
        )

    async def receive_return(self, request: ItemReceiptRequest) -> ErpDocument:
        """Khaos puts each line where its reason's processing type says (Quarantine: holding)."""
        receipt = element("RECEIPT", {"ASSOCIATED_REF": request.external_id})
        items = ET.SubElement(receipt, "ITEMS")
        for line in request.lines:
            items.append(element("ITEM", {"SORDER_ITEM_ID": line.order_line, "QTY": line.quantity}))
        result = parse(
            await self._soap.call(
                "ReceiveReturn",
                {"ReturnCode": request.return_authorization_id, "Receipt": to_text(receipt)},
            )
        )
        return ErpDocument(
            kind=ErpDocumentKind.ITEM_RECEIPT,
            id=text_of(result, "GROUP_ID"),
            external_id=request.external_id,
            status=text_of(result, "STATUS") or None,
        )

    async def create_credit(self, request: CreditRequest) -> ErpCredit:
        row = element(
            "CREDIT_NOTE",
            {"ASSOCIATED_REF": request.external_id, "RETURN_CODE": request.return_authorization_id},
        )
        if self.config.posting == "batched":
            outcome = await self._credits.submit(request.external_id, row)
        else:
            outcome = (await self._post_credit_notes([row])).get(
                request.external_id
            ) or BusinessError(
                f"Khaos answered no credit note for {request.external_id}", code="EMPTY_ANSWER"
            )
        if isinstance(outcome, AdapterError):
            raise outcome
        return outcome

    async def _post_credit_notes(self, rows: list[ET.Element]) -> dict[str, Outcome]:
        """One ImportCreditNotes for all rows, reconciled row by row by ASSOCIATED_REF."""
        batch = ET.Element("CREDIT_NOTES")
        batch.extend(rows)
        result = await self._soap.call("ImportCreditNotes", {"CreditNotes": to_text(batch)})
        outcomes: dict[str, Outcome] = {}
        for row in _rows(result):
            ref = text_of(row, "ASSOCIATED_REF")
            try:
                outcomes[ref] = documents.credit(_checked(row))
            except AdapterError as exc:
                outcomes[ref] = exc
        return outcomes

    async def issue_refund(self, request: RefundRequest) -> ErpDocument:
        existing = await self.find_document(ErpDocumentKind.CUSTOMER_REFUND, request.external_id)
        if existing is not None:
            return existing
        note = await self._find(ErpDocumentKind.CREDIT_MEMO, code=request.credit_id)
        if note is None:
            raise NotFoundError(
                f"no Khaos credit note {request.credit_id}", code="CREDIT_NOT_FOUND"
            )
        credit = documents.credit(note)
        if credit.amount is not None and request.amount.amount > credit.amount.amount:
            raise BusinessError(
                f"refund {request.amount} exceeds credit note {credit.id} ({credit.amount})",
                code="REFUND_EXCEEDS_CREDIT",
            )
        auth_code = request.storefront_refund_reference or request.external_id
        try:
            result = parse(
                await self._soap.call(
                    "ProcessReturn",
                    {
                        "ReturnCode": text_of(note, "RETURN_CODE"),
                        "ManualAuthCode": auth_code,
                        "AssociatedRef": request.external_id,
                    },
                )
            )
        except ConflictError:
            found = await self.find_document(ErpDocumentKind.CUSTOMER_REFUND, request.external_id)
            if found is None:
                raise
            return found
        return ErpDocument(
            kind=ErpDocumentKind.CUSTOMER_REFUND,
            id=text_of(result, "REFUND_CODE"),
            external_id=request.external_id,
            status="Issued",
            amount=credit.amount,
        )

    async def issue_store_credit(self, request: StoreCreditRequest) -> ErpDocument:
        credits = ET.Element("ACCOUNT_CREDITS")
        credits.append(
            element(
                "ACCOUNT_CREDIT",
                {
                    "ASSOCIATED_REF": request.external_id,
                    "CREDIT_NOTE_CODE": request.credit_id,
                    "COMPANY_CODE": request.customer_id,
                    "AMOUNT": request.amount.amount,
                    "CURRENCY_CODE": request.amount.currency,
                    "REFERENCE": request.gift_card_reference,
                },
            )
        )
        row = await self._import_one("IssueAccountCredit", "Credits", credits)
        return ErpDocument(
            kind=ErpDocumentKind.STORE_CREDIT,
            id=text_of(row, "ACCOUNT_CREDIT_CODE"),
            external_id=request.external_id,
            status="On Account",
            amount=request.amount,
        )

    async def post_disposition(self, request: DispositionRequest) -> ErpDocument:
        """One adjustment group: out of holding, and into the target for restock/refurbish."""
        source = self.config.location(request.from_location_id)
        target = (
            self.config.location(request.to_location_id)
            if request.to_location_id
            and request.disposition in (Disposition.RESTOCK, Disposition.REFURBISH)
            else None
        )
        batch = element(
            "STOCK_ADJUSTMENTS",
            {
                "ASSOCIATED_REF": request.external_id,
                "REASON_CODE": self.config.adjustment_reasons[request.disposition],
                "NOTES": request.reason,
            },
        )
        items = ET.SubElement(batch, "ITEMS")
        for line in request.lines:
            moves = [(source, -line.quantity)] + ([(target, line.quantity)] if target else [])
            for location, delta in moves:
                items.append(
                    element(
                        "ITEM",
                        {
                            "STOCK_CODE": line.item_id,
                            "SITE_ID": self.config.site_id,
                            "LOCATION": location,
                            "ADJUST_BY": delta,
                        },
                    )
                )
        result = _checked(
            parse(await self._soap.call("ImportStockAdjustments", {"Adjustments": to_text(batch)}))
        )
        return ErpDocument(
            kind=documents.DISPOSITION_KINDS[request.disposition],
            id=text_of(result, "GROUP_ID"),
            external_id=request.external_id,
            status="Posted",
        )

    async def create_sales_order(self, request: SalesOrderRequest) -> ErpDocument:
        order = ET.Element("SALES_ORDER")
        order.append(element("CUSTOMER_DETAIL", {"COMPANY_CODE": request.customer_id}))
        note = request.memo or f"Exchange for Loop return {request.return_id}"
        if request.linked_credit_id:
            note += f" (credit note {request.linked_credit_id})"
        order.append(
            element(
                "ORDER_HEADER",
                {
                    "ASSOCIATED_REF": request.external_id,
                    "ORDER_DATE": datetime.now(UTC).strftime("%Y-%m-%d"),
                    "SITE": self.config.site_id,
                    "SALES_SOURCE": self.config.sales_source,
                    "ORDER_CURRENCY": request.currency,
                    "ORDER_NOTE": note,
                },
            )
        )
        items = ET.SubElement(order, "ORDER_ITEMS")
        for n, line in enumerate(request.lines, start=1):
            items.append(
                element(
                    "ORDER_ITEM",
                    {
                        "STOCK_CODE": line.item_id,
                        "MAPPING_TYPE": STOCK_CODE,
                        "ORDER_QTY": line.quantity,
                        "PRICE_NET": line.rate,
                        "IMPORT_REF": f"{request.external_id}-{n}",
                    },
                )
            )
        orders = ET.Element("SALES_ORDERS")
        orders.append(order)
        row = await self._import_one("ImportOrders", "Orders", orders)
        return ErpDocument(
            kind=ErpDocumentKind.SALES_ORDER,
            id=text_of(row, "SALES_ORDER_CODE"),
            external_id=request.external_id,
            status="Received",
        )

    async def close_return_authorization(self, request: CloseAuthorizationRequest) -> ErpDocument:
        result = parse(
            await self._soap.call(
                "CancelReturn",
                {"ReturnCode": request.return_authorization_id, "Reason": request.reason},
            )
        )
        row = await self._find(
            ErpDocumentKind.RETURN_AUTHORIZATION, code=request.return_authorization_id
        )
        return ErpDocument(
            kind=ErpDocumentKind.RETURN_AUTHORIZATION,
            id=text_of(result, "RETURN_CODE"),
            external_id=text_of(row, "ASSOCIATED_REF") if row is not None else "",
            status=text_of(result, "STATUS") or None,
        )

    async def flag_for_review(self, request: ReviewFlagRequest) -> ErpDocument:
        """Tick the configured flag field (and say why): setting fields, so a repeat is a no-op."""
        fields: dict[str, object] = {
            "RETURN_CODE": request.return_authorization_id,
            self.config.review_flag: True,
        }
        if self.config.review_note:
            fields[self.config.review_note] = request.note
        returns = ET.Element("RETURNS")
        returns.append(element("RETURN", fields))
        row = await self._import_one("UpdateReturns", "Returns", returns)
        return ErpDocument(
            kind=ErpDocumentKind.RETURN_AUTHORIZATION,
            id=text_of(row, "RETURN_CODE"),
            external_id=text_of(row, "ASSOCIATED_REF"),
            status=text_of(row, "STATUS") or None,
        )

    async def aclose(self) -> None:
        await self._credits.aclose()
        await self._soap.aclose()
