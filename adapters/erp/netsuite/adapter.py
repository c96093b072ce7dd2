"""NetSuiteAdapter: the ErpAdapter protocol over SuiteTalk REST.

Every write is a transform or create keyed by an external id (see `NetSuiteRest.create_once`),
so calling it twice, or retrying after a lost answer, leaves exactly one record in NetSuite.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx

from adapters.erp.protocol import external_id, parse_external_id
from adapters.erp.return_states import state_of
from adapters.errors import (
    BusinessError,
    GoodsReceivedError,
    NotFoundError,
    RetryableError,
    UnknownItemError,
    UnmappedLocationError,
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
    Money,
    OrderRef,
    RefundRequest,
    ReturnAuthorizationRequest,
    ReviewFlagRequest,
    SalesOrderRequest,
    StoreCreditRequest,
)

from . import exchange, inventory, ledger, mapping, queries, wire
from .auth import RequestSigner, TokenBasedAuth
from .books import UNMAPPED_LOCATION, NetSuiteBooks
from .channel import NetSuiteChannel
from .errors import error_from_response
from .oauth2 import ClientCredentialsAuth, OAuth2Credentials
from .rest import PAGE, NetSuiteRest

# A receipt with Restock ticked puts the units on hand at the line's location; unticked would
# write them off. They go on hand in the non-nettable holding location, so they count as stock
# but cannot be sold until inspection moves them (inventoryTransfer) or scraps them.
RESTOCK_ON_RECEIPT = True
HOLDING = "holding"  # the workflow's symbolic name for the holding location
RA_RECEIVED = "RA_RECEIVED"  # close refused: goods already arrived against the RA
PREREQUISITE_PENDING = "PREREQUISITE_PENDING"  # exchange order: customer/order not there yet


class NetSuiteAdapter:
    system = "netsuite"

    def __init__(
        self,
        *,
        base_url: str,
        account_id: str,
        consumer_key: str = "",
        consumer_secret: str = "",
        token_id: str = "",
        token_secret: str = "",
        holding_location_id: str,
        refund_account_id: str | None = None,
        books: NetSuiteBooks | None = None,
        max_concurrency: int | None = None,
        retry: RetryPolicy = RetryPolicy(),
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        oauth2: OAuth2Credentials | None = None,
    ) -> None:
        # OAuth 2.0 M2M when its credentials are given (TBA closes to new integrations in 2027.1)
        signer: RequestSigner
        if oauth2 is not None:
            signer = ClientCredentialsAuth(
                oauth2, base_url=base_url, timeout=timeout, transport=transport
            )
        else:
            signer = TokenBasedAuth(
                account_id=account_id,
                consumer_key=consumer_key,
                consumer_secret=consumer_secret,
                token_id=token_id,
                token_secret=token_secret,
            )
        self._channel = NetSuiteChannel(
            base_url,
            signer,
            retry=retry,
            timeout=timeout,
            max_concurrency=max_concurrency,
            transport=transport,
        )
        self._rest = NetSuiteRest(self._channel)
        self.holding_location_id = holding_location_id
        self.refund_account_id = refund_account_id
        self.books = books or NetSuiteBooks()
        self.ledger_page_size = PAGE
        self._currencies: dict[str, str] = {}

    # --- reads ----------------------------------------------------------------------------

    async def find_sales_order(self, ref: OrderRef) -> ErpOrder:
        """By Shopify order name in otherRefNum (or a tranId), then by order number."""
        keys = [k for k in (ref.order_name, ref.order_number) if k]
        for key in dict.fromkeys(keys):
            rows = await self._rest.suiteql(queries.SALES_ORDER_BY_NAME, [key, key])
            if rows:
                return await self.get_sales_order(rows[0]["id"])
        raise NotFoundError(
            f"no NetSuite sales order for {' / '.join(keys) or 'an order without name'}",
            code="ORDER_NOT_FOUND",
            details={"order": ref.model_dump(exclude_none=True)},
        )

    async def get_sales_order(self, order_id: str) -> ErpOrder:
        record = await self._rest.get("salesOrder", order_id, expand=True)
        lines = mapping.sublist(record)
        item_ids = [i for i in (mapping.ref_id(line.get("item")) for line in lines) if i]
        skus = {row["id"]: row["itemid"] for row in await self._items("id", item_ids)}
        return ErpOrder(
            id=str(record["id"]),
            tran_id=record.get("tranId"),
            customer_id=mapping.ref_id(record.get("entity")) or "",
            currency=await self._currency(record),
            lines=[mapping.order_line(line, skus) for line in lines],
            ship_to=mapping.address(record.get("shippingAddress")),
        )

    async def resolve_items(self, skus: list[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(skus))
        found = {row["itemid"]: row["id"] for row in await self._items("itemid", wanted)}
        missing = [sku for sku in wanted if sku not in found]
        if missing:
            raise UnknownItemError(
                f"NetSuite has no item for SKU {', '.join(missing)}",
                skus=missing,
                code="UNKNOWN_ITEM",
            )
        return {sku: found[sku] for sku in wanted}

    async def find_document(self, kind: str, external_id: str) -> ErpDocument | None:
        doc_kind = ErpDocumentKind(kind)
        record = await self._rest.find(mapping.RECORD_TYPES[doc_kind], f"eid:{external_id}")
        return None if record is None else await self._document(doc_kind, record)

    async def find_locations(self, location_ids: list[str]) -> dict[str, str]:
        """Internal id -> name of the locations that exist (the go-live mapping audit)."""
        found: dict[str, str] = {}
        for location_id in dict.fromkeys(location_ids):
            record = await self._rest.find("location", location_id)
            if record is not None:
                found[location_id] = str(record.get("name", location_id))
        return found

    async def concurrency_limit(self) -> int | None:
        """The integration's reserved slots if any, else the account's; None if hidden."""
        response = await self._rest.system(wire.GOVERNANCE_PATH)
        if response.status_code in (403, 404):
            return None
        if response.status_code >= 400:
            raise error_from_response(response)
        limits = wire.loads(response.content)
        value = limits.get("integrationConcurrencyLimit") or limits.get("accountConcurrencyLimit")
        return int(value) if value is not None else None

    # --- writes (each one idempotent by external id) ---------------------------------------

    async def create_return_authorization(self, request: ReturnAuthorizationRequest) -> ErpDocument:
        async def body() -> dict[str, Any]:
            payload: dict[str, Any] = {
                "externalId": request.external_id,
                "orderStatus": {"id": "B"},  # approved: Pending Receipt
                "item": {
                    "items": [
                        {
                            "orderLine": mapping.line_number(line.order_line),
                            "item": {"id": line.item_id},
                            "quantity": line.quantity,
                        }
                        for line in request.lines
                    ]
                },
            }
            if request.memo:
                payload["memo"] = request.memo
            return payload

        record = await self._rest.create_once(
            wire.transform_path("salesOrder", request.order_id, "returnAuthorization"),
            "returnAuthorization",
            request.external_id,
            body,
            params={"replace": "item"},  # only the returned lines, not the whole order
        )
        return await self._document(ErpDocumentKind.RETURN_AUTHORIZATION, record)

    async def receive_return(self, request: ItemReceiptRequest) -> ErpDocument:
        location = self._receiving_location(request.location_id)

        async def body() -> dict[str, Any]:
            ra = await self._rest.get(
                "returnAuthorization", request.return_authorization_id, expand=True
            )
            wanted = _receipt_quantities(request, mapping.sublist(ra))
            items = [
                {
                    "orderLine": line["line"],
                    "item": {"id": mapping.ref_id(line.get("item"))},
                    "quantity": wanted[str(line["line"])],
                    "location": {"id": location},
                    "restock": RESTOCK_ON_RECEIPT,
                    "itemReceive": True,
                }
                if str(line["line"]) in wanted
                else {"orderLine": line["line"], "itemReceive": False}
                for line in mapping.sublist(ra)
            ]
            return {
                "externalId": request.external_id,
                "location": {"id": location},
                "item": {"items": items},
            }

        record = await self._rest.create_once(
            wire.transform_path(
                "returnAuthorization", request.return_authorization_id, "itemReceipt"
            ),
            "itemReceipt",
            request.external_id,
            body,
            read_back=False,  # a receipt has no status or total to read
        )
        return await self._document(ErpDocumentKind.ITEM_RECEIPT, record)

    async def create_credit(self, request: CreditRequest) -> ErpCredit:
        async def body() -> dict[str, Any]:
            return {"externalId": request.external_id}

        record = await self._rest.create_once(
            wire.transform_path(
                "returnAuthorization", request.return_authorization_id, "creditMemo"
            ),
            "creditMemo",
            request.external_id,
            body,
        )
        return mapping.credit(record, await self._currency(record))

    async def issue_refund(self, request: RefundRequest) -> ErpDocument:
        """Erp-first: a customer refund paying the credit out of the refund (bank) account.

        Storefront-first (`storefront_refund_reference` set): the money already left at the
        storefront, so the refund is only recorded against the credit, drawn on the
        storefront's payout clearing account with the storefront's reference in the memo; no
        second payout is made.
        """
        reference = request.storefront_refund_reference
        account = (
            self.books.storefront_refund_account_id or self.refund_account_id
            if reference
            else self.refund_account_id
        )
        record = await self._refund_credit(
            request.credit_id,
            request.external_id,
            request.amount,
            account=account,
            payment_method=request.payment_method,
            memo=f"Storefront refund {reference} (no payout from NetSuite)" if reference else None,
        )
        return await self._document(ErpDocumentKind.CUSTOMER_REFUND, record)

    async def issue_store_credit(self, request: StoreCreditRequest) -> ErpDocument:
        """Store credit Loop issued as a gift card: refund the credit memo to the gift card
        clearing account.

        Left open, the credit memo would be a customer balance in A/R while the storefront also
        holds the gift card: one credit, two liabilities. NetSuite's own gift certificates only
        track certificates NetSuite sells, not the storefront's cards. So the credit memo is
        applied by a customer refund whose account is a bank-type "Gift Card Clearing" account
        (no real bank behind it): A/R is cleared, the liability sits where finance reconciles
        the storefront's gift card balance, and no money leaves.
        """
        record = await self._refund_credit(
            request.credit_id,
            request.external_id,
            request.amount,
            account=self.books.required(
                self.books.store_credit_account_id, "store credit (gift card clearing) account"
            ),
            payment_method=self.books.store_credit_payment_method_id,
            memo="Store credit issued as gift card"
            + (f" {request.gift_card_reference}" if request.gift_card_reference else ""),
        )
        return await self._document(ErpDocumentKind.STORE_CREDIT, record)

    async def post_disposition(self, request: DispositionRequest) -> ErpDocument:
        source = self._location(request.from_location_id)
        kind, record_type, body = await self._disposition(request, source)
        record = await self._rest.create_once(
            wire.record_path(record_type),
            record_type,
            request.external_id,
            body,
            # transfers and adjustments have no status or total; a vendor return has a status
            read_back=kind is ErpDocumentKind.VENDOR_RETURN,
        )
        return await self._document(kind, record)

    async def check_availability(self, item_ids: list[str]) -> list[Availability]:
        wanted = list(dict.fromkeys(item_ids))
        location = self._location(self.books.sellable_location)
        stock: list[dict[str, str]] = []
        flags: list[dict[str, str]] = []
        for chunk in queries.chunks(wanted):
            stock += await self._rest.suiteql(
                queries.stock_at_location(len(chunk)), [location, *chunk]
            )
            flags += await self._rest.suiteql(queries.item_flags(len(chunk)), chunk)
        return inventory.availability(wanted, stock, flags)

    async def create_sales_order(self, request: SalesOrderRequest) -> ErpDocument:
        """The exchange's order, created only once its customer and original order exist.

        Either missing is retryable (they may still be committing, e.g. an order the storefront
        connector has not synced yet): the activity retries until they are there.
        """

        async def body() -> dict[str, Any]:
            await self._require("customer", request.customer_id, f"customer {request.customer_id}")
            await self._require(
                "salesOrder", request.original_order_id, f"order {request.original_order_id}"
            )
            currency_id = await self._currency_id(request.currency)
            return exchange.sales_order(
                request, currency_id, self._location(self.books.sellable_location)
            )

        record = await self._rest.create_once(
            wire.record_path("salesOrder"), "salesOrder", request.external_id, body
        )
        return await self._document(ErpDocumentKind.SALES_ORDER, record)

    async def close_return_authorization(self, request: CloseAuthorizationRequest) -> ErpDocument:
        """Close every line of an RA nothing was received against; refuse once goods arrived
        (those need an ops decision, not a silent close). Closing twice changes nothing."""
        ra_id = request.return_authorization_id
        ra = await self._rest.get("returnAuthorization", ra_id, expand=True)
        status = mapping.status_of(ra)
        if status in ("D", "E", "F", "G"):
            raise GoodsReceivedError(
                f"return authorization {ra_id} has received goods (status {status}); "
                "it cannot be closed",
                code=RA_RECEIVED,
                details={"status": status},
            )
        open_lines = [ln for ln in mapping.sublist(ra) if not ln.get("isClosed")]
        if status not in ("C", "H") and open_lines:
            memo = f"{ra.get('memo') or ''} | closed: {request.reason}".strip(" |")
            await self._rest.patch(
                "returnAuthorization",
                ra_id,
                {
                    "memo": memo[:999],
                    "item": {
                        "items": [{"line": ln["line"], "isClosed": True} for ln in open_lines]
                    },
                },
            )
            ra = await self._rest.get("returnAuthorization", ra_id)
        return await self._document(ErpDocumentKind.RETURN_AUTHORIZATION, ra)

    async def return_statuses(self, return_ids: list[str]) -> dict[str, ErpReturnStatus]:
        """One SuiteQL per 200 returns: status letter and review checkbox by external id."""
        by_external = {external_id(rid, "ra").lower(): rid for rid in dict.fromkeys(return_ids)}
        statuses: dict[str, ErpReturnStatus] = {}
        for chunk in queries.chunks(list(by_external)):
            query = queries.ra_statuses(self.books.review_field, len(chunk))
            for row in await self._rest.suiteql(query, chunk):
                rid = by_external.get(str(row.get("externalid", "")).lower())
                letter = str(row.get("status", ""))
                state = state_of(self.system, letter, mapping.RA_STATES, rid) if rid else None
                if rid is None or state is None:
                    continue
                statuses[rid] = ErpReturnStatus(
                    return_id=rid,
                    document_id=str(row["id"]),
                    state=state,
                    erp_status=letter,
                    review=row.get("review") == "T",
                )
        return statuses

    async def flag_for_review(self, request: ReviewFlagRequest) -> ErpDocument:
        """Tick the review checkbox (a PATCH of one field: ticking it twice is one tick)."""
        ra_id = request.return_authorization_id
        await self._rest.patch("returnAuthorization", ra_id, {self.books.review_field: True})
        ra = await self._rest.get("returnAuthorization", ra_id)
        return await self._document(ErpDocumentKind.RETURN_AUTHORIZATION, ra)

    async def iter_documents(
        self, kind: ErpDocumentKind, since: datetime, until: datetime
    ) -> AsyncIterator[ErpLedgerEntry]:
        window = [
            mapping.TYPE_CODES[kind],
            since.astimezone(UTC).strftime(queries.TIMESTAMP_FORMAT),
            until.astimezone(UTC).strftime(queries.TIMESTAMP_FORMAT),
        ]
        pages = self._rest.suiteql_pages(
            queries.TRANSACTIONS_IN_WINDOW, window, self.ledger_page_size
        )
        async for rows in pages:
            for row in rows:
                _, doc_kind = parse_external_id(row.get("externalid"))
                if not ledger.belongs(kind, doc_kind):
                    continue
                currency = (
                    await self._currency_code(row["currency"]) if row.get("currency") else None
                )
                yield ledger.entry(kind, row, currency)

    async def aclose(self) -> None:
        await self._channel.aclose()

    # --- helpers --------------------------------------------------------------------------

    async def _items(self, column: str, values: list[str]) -> list[dict[str, str]]:
        rows: list[dict[str, str]] = []
        for chunk in queries.chunks(list(dict.fromkeys(values))):
            rows += await self._rest.suiteql(queries.items_where(column, len(chunk)), chunk)
        return rows

    async def _currency(self, record: dict[str, Any]) -> str:
        """ISO code of the record's currency: the reference names it, the record's `symbol`
        holds the code. Looked up once per currency."""
        currency_id = mapping.ref_id(record.get("currency"))
        if currency_id is None:
            raise BusinessError(f"NetSuite record {record.get('id')} has no currency")
        return await self._currency_code(currency_id)

    async def _currency_code(self, currency_id: str) -> str:
        if currency_id not in self._currencies:
            currency = await self._rest.get("currency", currency_id)
            self._currencies[currency_id] = str(currency["symbol"]).upper()
        return self._currencies[currency_id]

    async def _document(self, kind: ErpDocumentKind, record: dict[str, Any]) -> ErpDocument:
        if kind is ErpDocumentKind.CREDIT_MEMO:
            return mapping.credit(record, await self._currency(record))
        currency = await self._currency(record) if record.get("currency") else None
        return mapping.document(kind, record, currency)

    def _receiving_location(self, location_id: str) -> str:
        return self.holding_location_id if location_id in ("", HOLDING) else location_id

    def _location(self, name: str) -> str:
        return self.holding_location_id if name in ("", HOLDING) else self.books.location(name)

    async def _currency_id(self, code: str) -> str:
        """Internal id of an ISO currency (the reverse of `_currency_code`), looked up once."""
        known = next((i for i, c in self._currencies.items() if c == code.upper()), None)
        if known is not None:
            return known
        rows = await self._rest.suiteql(queries.CURRENCY_BY_SYMBOL, [code.upper()])
        if not rows:
            raise BusinessError(f"NetSuite has no currency {code}", code="UNKNOWN_CURRENCY")
        self._currencies[str(rows[0]["id"])] = code.upper()
        return str(rows[0]["id"])

    async def _require(self, record_type: str, record_id: str, what: str) -> None:
        if await self._rest.find(record_type, record_id) is None:
            raise RetryableError(
                f"NetSuite has no {what} yet: the exchange order waits for it",
                code=PREREQUISITE_PENDING,
            )

    async def _refund_credit(
        self,
        credit_id: str,
        external_id: str,
        amount: Money,
        *,
        account: str | None,
        payment_method: str | None,
        memo: str | None,
    ) -> dict[str, Any]:
        """A customerRefund applying `amount` of one credit memo (refunds and store credit)."""

        async def body() -> dict[str, Any]:
            payload: dict[str, Any] = {
                "externalId": external_id,
                "apply": {
                    "items": [{"doc": {"id": credit_id}, "apply": True, "amount": amount.amount}]
                },
            }
            if account:
                payload["account"] = {"id": account}
            if payment_method:
                payload["paymentMethod"] = {"id": payment_method}
            if memo:
                payload["memo"] = memo
            return payload

        return await self._rest.create_once(
            wire.transform_path("creditMemo", credit_id, "customerRefund"),
            "customerRefund",
            external_id,
            body,
        )

    async def _disposition(
        self, request: DispositionRequest, source: str
    ) -> tuple[ErpDocumentKind, str, Any]:
        """(document kind, record type, body builder) for one disposition."""
        if request.disposition in (Disposition.RESTOCK, Disposition.REFURBISH):
            if not request.to_location_id:
                raise UnmappedLocationError(
                    f"a {request.disposition.value} needs a target location",
                    kind="location",
                    value="",
                    code=UNMAPPED_LOCATION,
                )
            target = self._location(request.to_location_id)

            async def transfer() -> dict[str, Any]:
                return inventory.transfer(request, source, target)

            return ErpDocumentKind.INVENTORY_TRANSFER, "inventoryTransfer", transfer
        if request.disposition is Disposition.SCRAP:
            account = self.books.required(self.books.scrap_account_id, "scrap (adjustment) account")

            async def write_off() -> dict[str, Any]:
                return inventory.write_off(request, source, account)

            return ErpDocumentKind.INVENTORY_ADJUSTMENT, "inventoryAdjustment", write_off

        async def vendor_return() -> dict[str, Any]:
            items = sorted({ln.item_id for ln in request.lines})
            rows = await self._rest.suiteql(queries.preferred_vendors(len(items)), items)
            vendor = inventory.one_vendor(request, {r["item"]: r["vendor"] for r in rows})
            return inventory.vendor_return(request, source, vendor, request.lines)

        return ErpDocumentKind.VENDOR_RETURN, "vendorReturnAuthorization", vendor_return


def _receipt_quantities(
    request: ItemReceiptRequest, ra_lines: list[dict[str, Any]]
) -> dict[str, int]:
    """RA line -> quantity to receive. Requests name sales-order lines (what the workflow
    knows); an RA line carries its source line in `orderLine`, with the item as a fallback."""
    wanted: dict[str, int] = {}
    for req in request.lines:
        match = next(
            (ln for ln in ra_lines if str(ln.get("orderLine")) == req.order_line), None
        ) or next(
            (
                ln
                for ln in ra_lines
                if mapping.ref_id(ln.get("item")) == req.item_id and str(ln["line"]) not in wanted
            ),
            None,
        )
        if match is None:
            raise BusinessError(
                f"return authorization {request.return_authorization_id} has no line for "
                f"order line {req.order_line} (item {req.item_id})",
                code="LINE_NOT_ON_RA",
            )
        key = str(match["line"])
        wanted[key] = wanted.get(key, 0) + req.quantity
    return wanted
