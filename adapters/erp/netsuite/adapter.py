"""NetSuiteAdapter: the ErpAdapter protocol over SuiteTalk REST.

Every write is a transform or create keyed by an external id (see `NetSuiteRest.create_once`),
so calling it twice, or retrying after a lost answer, leaves exactly one record in NetSuite.
"""

from __future__ import annotations

from typing import Any

import httpx

from adapters.errors import BusinessError, NotFoundError, UnknownItemError
from adapters.http import RetryPolicy
from workflows.model import (
    CreditRequest,
    ErpCredit,
    ErpDocument,
    ErpDocumentKind,
    ErpOrder,
    ItemReceiptRequest,
    OrderRef,
    RefundRequest,
    ReturnAuthorizationRequest,
)

from . import mapping, queries, wire
from .auth import TokenBasedAuth
from .channel import NetSuiteChannel
from .errors import error_from_response
from .rest import NetSuiteRest

# A receipt with Restock ticked puts the units on hand at the line's location; unticked would
# write them off. They go on hand in the non-nettable holding location, so they count as stock
# but cannot be sold until inspection moves them (inventoryTransfer) or scraps them.
RESTOCK_ON_RECEIPT = True
HOLDING = "holding"  # the workflow's symbolic name for the holding location


class NetSuiteAdapter:
    system = "netsuite"

    def __init__(
        self,
        *,
        base_url: str,
        account_id: str,
        consumer_key: str,
        consumer_secret: str,
        token_id: str,
        token_secret: str,
        holding_location_id: str,
        refund_account_id: str | None = None,
        max_concurrency: int | None = None,
        retry: RetryPolicy = RetryPolicy(),
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
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
        async def body() -> dict[str, Any]:
            payload: dict[str, Any] = {
                "externalId": request.external_id,
                "apply": {
                    "items": [
                        {
                            "doc": {"id": request.credit_id},
                            "apply": True,
                            "amount": request.amount.amount,
                        }
                    ]
                },
            }
            if self.refund_account_id:
                payload["account"] = {"id": self.refund_account_id}
            if request.payment_method:
                payload["paymentMethod"] = {"id": request.payment_method}
            return payload

        record = await self._rest.create_once(
            wire.transform_path("creditMemo", request.credit_id, "customerRefund"),
            "customerRefund",
            request.external_id,
            body,
        )
        return await self._document(ErpDocumentKind.CUSTOMER_REFUND, record)

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
