"""The one interface workflows see of an ERP; differences between ERPs live behind it.

Every write is idempotent by its external id: calling it again after a timeout returns the
document that already exists instead of creating a second one.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Protocol, runtime_checkable

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


def external_id(return_id: str, kind: str, n: int | None = None) -> str:
    """Deterministic, typed ERP external ids: transactions share one id pool per ERP account."""
    suffix = f"-{n}" if n is not None else ""
    return f"loop-{return_id}-{kind}{suffix}"


# Loop return ids hold no hyphen; kinds may ("dsp-restock"), so the id ends at the first one
_EXTERNAL_ID = re.compile(r"^loop-(?P<return_id>[^-]+)-(?P<kind>[a-z][a-z_-]*?)(?:-\d+)?$", re.I)


def parse_external_id(external_id: str | None) -> tuple[str | None, str | None]:
    """(return id, kind) of one of returnflow's external ids; (None, None) for anyone else's."""
    match = _EXTERNAL_ID.match(external_id or "")
    if match is None:
        return None, None
    return match["return_id"], match["kind"].lower()


def return_id_of(external_id: str | None) -> str | None:
    """The return id inside one of `external_id`'s ids; None for anyone else's."""
    return parse_external_id(external_id)[0]


@runtime_checkable
class ErpAdapter(Protocol):
    system: str

    async def find_sales_order(self, ref: OrderRef) -> ErpOrder:
        """The original order; raises NotFoundError when no ERP order matches."""
        ...

    async def get_sales_order(self, order_id: str) -> ErpOrder:
        """An order by its ERP id (used when a person names the order)."""
        ...

    async def resolve_items(self, skus: list[str]) -> dict[str, str]:
        """SKU -> ERP item id; raises UnknownItemError naming every SKU it cannot find."""
        ...

    async def create_return_authorization(
        self, request: ReturnAuthorizationRequest
    ) -> ErpDocument: ...

    async def receive_return(self, request: ItemReceiptRequest) -> ErpDocument:
        """Receive goods into a non-nettable holding location."""
        ...

    async def create_credit(self, request: CreditRequest) -> ErpCredit:
        """Credit memo / credit note from the RA; the ERP computes tax, discount and totals."""
        ...

    async def issue_refund(self, request: RefundRequest) -> ErpDocument:
        """Pay the credit out (erp-first) or record a storefront refund against it."""
        ...

    async def post_disposition(self, request: DispositionRequest) -> ErpDocument:
        """Restock/refurbish: transfer out of holding; scrap: write-off; RTV: vendor return."""
        ...

    async def issue_store_credit(self, request: StoreCreditRequest) -> ErpDocument:
        """The liability for a gift card Loop issued (no money leaves)."""
        ...

    async def check_availability(self, item_ids: list[str]) -> list[Availability]: ...

    async def create_sales_order(self, request: SalesOrderRequest) -> ErpDocument:
        """An exchange's replacement order; only after customer and original order exist."""
        ...

    async def close_return_authorization(self, request: CloseAuthorizationRequest) -> ErpDocument:
        """Close an RA nothing was received against (the return was cancelled in Loop)."""
        ...

    async def return_statuses(self, return_ids: list[str]) -> dict[str, ErpReturnStatus]:
        """Where each return's RA stands and whether its review flag is set, read in as few
        calls as the ERP allows; a return with no RA in the ERP is left out."""
        ...

    async def flag_for_review(self, request: ReviewFlagRequest) -> ErpDocument:
        """Set the review flag on an RA; setting it again changes nothing."""
        ...

    def iter_documents(
        self, kind: ErpDocumentKind, since: datetime, until: datetime
    ) -> AsyncIterator[ErpLedgerEntry]:
        """Stream returnflow's posted documents of one kind created in [since, until), page by
        page (a draft, e.g. a Prima credit awaiting payment, is not in the ledger yet)."""
        ...

    async def find_document(self, kind: str, external_id: str) -> ErpDocument | None: ...

    async def concurrency_limit(self) -> int | None:
        """The account's request concurrency the ERP allows us, where it says."""
        ...

    async def aclose(self) -> None: ...
