"""One face for each ERP sandbox, so the conformance scenarios never name an ERP.

A driver holds the adapter under test and the sandbox's controls, and answers the questions a
scenario asks of the ERP's own records: how much stock sits where, how many documents of a
kind a return has, and how to make an item unsellable or the next answers fail.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from adapters.erp.khaos import KhaosAdapter
from adapters.erp.netsuite.books import NetSuiteBooks
from adapters.erp.prima import PrimaAdapter
from adapters.erp.protocol import ErpAdapter
from adapters.sandbox.erp_control import ErpSandboxControl
from adapters.sandbox.khaos import KhaosSandboxControl
from adapters.sandbox.netsuite import NetSuiteSandboxControl
from adapters.sandbox.prima import PrimaSandboxControl
from workflows.model import ErpDocumentKind

Place = str  # "holding", "sellable" or "refurb": the workflow's symbolic locations


class Driver(ABC):
    name: str
    adapter: ErpAdapter
    control: Any  # the sandbox's control client
    holding = "holding"  # what the workflow passes as the receiving location

    @abstractmethod
    async def reset(self) -> None: ...

    @abstractmethod
    async def fail_next(self, statuses: list[int]) -> None: ...

    @abstractmethod
    async def lose_next_writes(self, count: int) -> None: ...

    async def answers_lost(self) -> int:
        """Writes the sandbox committed but answered as failed: proof a test lost one."""
        lost: int = (await self.control.dump())["lostAnswers"]["lost"]
        return lost

    @abstractmethod
    async def stock(self, item_id: str, place: Place) -> int: ...

    @abstractmethod
    async def make_unsellable(self, item_id: str) -> None: ...

    @abstractmethod
    async def documents(self, kind: ErpDocumentKind, return_id: str) -> list[dict[str, Any]]:
        """The sandbox's own records of this kind whose external id belongs to the return."""

    @abstractmethod
    async def page_size(self, size: int) -> None: ...

    @abstractmethod
    async def close_in_erp(self, ra_id: str) -> None:
        """What a person does in the ERP's own screens: close (or cancel) the return there."""

    @abstractmethod
    async def flag_in_erp(self, ra_id: str) -> None:
        """What a person does in the ERP's own screens: tick the return's review flag."""

    async def aclose(self) -> None:
        await self.adapter.aclose()
        await self.control.aclose()


def _ours(ref: object, return_id: str) -> bool:
    return str(ref or "").lower().startswith(f"loop-{return_id}-")


# --- NetSuite -------------------------------------------------------------------------------

NETSUITE_MAIN, NETSUITE_HOLDING, NETSUITE_REFURB = "1", "2", "3"
NETSUITE_BOOKS = NetSuiteBooks(
    locations={"sellable": NETSUITE_MAIN, "refurb": NETSUITE_REFURB},
    scrap_account_id="3",
    store_credit_account_id="4",
    store_credit_payment_method_id="5",
    storefront_refund_account_id="5",
)
NETSUITE_RECORDS = {
    ErpDocumentKind.RETURN_AUTHORIZATION: "returnAuthorization",
    ErpDocumentKind.ITEM_RECEIPT: "itemReceipt",
    ErpDocumentKind.CREDIT_MEMO: "creditMemo",
    ErpDocumentKind.CUSTOMER_REFUND: "customerRefund",
    ErpDocumentKind.STORE_CREDIT: "customerRefund",
    ErpDocumentKind.SALES_ORDER: "salesOrder",
    ErpDocumentKind.INVENTORY_TRANSFER: "inventoryTransfer",
    ErpDocumentKind.INVENTORY_ADJUSTMENT: "inventoryAdjustment",
    ErpDocumentKind.VENDOR_RETURN: "vendorReturnAuthorization",
}


class NetSuiteDriver(Driver):
    name = "netsuite"
    places = {"holding": NETSUITE_HOLDING, "sellable": NETSUITE_MAIN, "refurb": NETSUITE_REFURB}

    def __init__(self, adapter: ErpAdapter, control: NetSuiteSandboxControl) -> None:
        self.adapter = adapter
        self.control = control

    async def reset(self) -> None:
        await self.control.reset()
        # keep-item and donate are credited without receipt, as brands configure NetSuite
        await self.control.preferences(allow_refund_in_advance=True)

    async def fail_next(self, statuses: list[int]) -> None:
        await self.control.faults(fail_next=statuses)

    async def lose_next_writes(self, count: int) -> None:
        await self.control.lose_responses(count)

    async def stock(self, item_id: str, place: Place) -> int:
        return await self.control.on_hand(item_id, self.places[place])

    async def make_unsellable(self, item_id: str) -> None:
        await self.control.item_flags(item_id, inactive=True)

    async def documents(self, kind: ErpDocumentKind, return_id: str) -> list[dict[str, Any]]:
        records = await self.control.records(NETSUITE_RECORDS[kind])
        ours = [r for r in records if _ours(r.get("externalId"), return_id)]
        if NETSUITE_RECORDS[kind] != "customerRefund":
            return ours
        # refunds and store credit are both customer refunds; the external id's kind tells
        gift = kind is ErpDocumentKind.STORE_CREDIT
        return [r for r in ours if str(r["externalId"]).lower().endswith("-sc") == gift]

    async def page_size(self, size: int) -> None:
        self.adapter.ledger_page_size = size  # type: ignore[attr-defined]

    async def close_in_erp(self, ra_id: str) -> None:
        await self.control.in_the_screens(ra_id, "close")

    async def flag_in_erp(self, ra_id: str) -> None:
        await self.control.in_the_screens(ra_id, "check", NETSUITE_BOOKS.review_field)


# --- Khaos and Prima: one dump shape ----------------------------------------------------------


class _SoapDriver(Driver):
    doc_types: dict[ErpDocumentKind, str]
    places: dict[Place, list[str]]
    control: ErpSandboxControl
    review_flag: str  # the return field the adapter is configured to read as its review flag

    async def stock(self, item_id: str, place: Place) -> int:
        return sum([await self.control.level(item_id, where) for where in self.places[place]])

    async def page_size(self, size: int) -> None:
        await self.control.page_size(size)

    async def reset(self) -> None:
        await self.control.reset()

    async def fail_next(self, statuses: list[int]) -> None:
        await self.control.faults(fail_next=statuses)

    async def lose_next_writes(self, count: int) -> None:
        await self.control.lose_responses(count)

    async def documents(self, kind: ErpDocumentKind, return_id: str) -> list[dict[str, Any]]:
        docs = await self.control.documents(self.doc_types[kind])
        return [d for d in docs if _ours(d.get("ref"), return_id) and self._is(kind, d)]

    def _is(self, kind: ErpDocumentKind, doc: dict[str, Any]) -> bool:
        return True

    async def close_in_erp(self, ra_id: str) -> None:
        await self.control.close_return(ra_id)

    async def flag_in_erp(self, ra_id: str) -> None:
        await self.control.set_return_fields(ra_id, **{self.review_flag: True})


class KhaosDriver(_SoapDriver):
    name = "khaos"
    places = {"holding": ["QUARANTINE"], "sellable": ["MAIN"], "refurb": ["REFURB"]}
    doc_types = {
        ErpDocumentKind.RETURN_AUTHORIZATION: "Return",
        ErpDocumentKind.ITEM_RECEIPT: "ReturnReceipt",
        ErpDocumentKind.CREDIT_MEMO: "CreditNote",
        ErpDocumentKind.CUSTOMER_REFUND: "Refund",
        ErpDocumentKind.STORE_CREDIT: "AccountCredit",
        ErpDocumentKind.SALES_ORDER: "SalesOrder",
        ErpDocumentKind.INVENTORY_TRANSFER: "StockAdjustment",
        ErpDocumentKind.INVENTORY_ADJUSTMENT: "StockAdjustment",
        ErpDocumentKind.VENDOR_RETURN: "StockAdjustment",
    }

    def __init__(self, adapter: KhaosAdapter, control: KhaosSandboxControl) -> None:
        self.adapter = adapter
        self.control = control
        self.khaos = control
        self.review_flag = adapter.config.review_flag

    async def make_unsellable(self, item_id: str) -> None:
        await self.khaos.item_flags(item_id, web_sale=False)


class PrimaDriver(_SoapDriver):
    name = "prima"
    # both return depots are non-nettable holding; which one a line lands in is its reason's
    places = {"holding": ["RETURNS", "QUARANTINE"], "sellable": ["MAIN"], "refurb": ["REFURB"]}
    doc_types = {
        ErpDocumentKind.RETURN_AUTHORIZATION: "SalesReturn",
        ErpDocumentKind.ITEM_RECEIPT: "GoodsReceipt",
        ErpDocumentKind.CREDIT_MEMO: "SalesCredit",
        ErpDocumentKind.CUSTOMER_REFUND: "CreditPayment",
        ErpDocumentKind.STORE_CREDIT: "CreditPayment",
        ErpDocumentKind.SALES_ORDER: "SalesOrder",
        ErpDocumentKind.INVENTORY_TRANSFER: "StockTransfer",
        ErpDocumentKind.INVENTORY_ADJUSTMENT: "StockTransfer",
        ErpDocumentKind.VENDOR_RETURN: "StockTransfer",
    }

    def __init__(self, adapter: PrimaAdapter, control: PrimaSandboxControl) -> None:
        self.adapter = adapter
        self.control = control
        self.prima = control
        self.review_flag = adapter.config.review_flag

    def _is(self, kind: ErpDocumentKind, doc: dict[str, Any]) -> bool:
        if doc["type"] == "CreditPayment":
            gift = doc.get("Tender") == "GiftVoucher"
            return gift == (kind is ErpDocumentKind.STORE_CREDIT)
        return True

    async def make_unsellable(self, item_id: str) -> None:
        await self.prima.web_sellable(item_id, False)
