"""ERP activities: each a thin call over the configured ErpAdapter.

Validation is the one with logic: it matches Loop's units to the ERP order's lines, because that
match is what every later document (RA, receipt, credit) is built from.
"""

from __future__ import annotations

import asyncio

from temporalio import activity

from activities.failures import typed_failures
from adapters.erp.protocol import ErpAdapter
from adapters.errors import UnknownItemError
from adapters.store import Store
from workflows.contracts import Act, FailureType, ValidatedReturn, ValidateInput
from workflows.model import (
    CreditRequest,
    ErpCredit,
    ErpDocument,
    ErpLineRequest,
    ErpOrder,
    ItemReceiptRequest,
    RefundRequest,
    ReturnAuthorizationRequest,
    ReturnRequest,
)


def match_lines(
    request: ReturnRequest, order: ErpOrder, item_ids: dict[str, str]
) -> ValidatedReturn:
    """Assign each returned unit to an order line with room left; units that fit none fail."""
    room = {line.line: line.quantity for line in order.lines}
    line_items: dict[str, str] = {}
    per_line: dict[str, int] = {}
    misfits: list[str] = []
    for unit in request.lines:
        item_id = item_ids[unit.sku]
        line = next(
            (x for x in order.lines if x.item_id == item_id and room[x.line] >= unit.quantity), None
        )
        if line is None:
            misfits.append(unit.sku)
            continue
        room[line.line] -= unit.quantity
        per_line[line.line] = per_line.get(line.line, 0) + unit.quantity
        line_items[unit.line_item_id] = line.line
    if misfits:
        raise UnknownItemError(
            f"returned SKU(s) {sorted(set(misfits))} are not on ERP order {order.id} "
            "(or more units are returned than were ordered)",
            skus=sorted(set(misfits)),
        )
    lines = [
        ErpLineRequest(order_line=x.line, item_id=x.item_id, quantity=per_line[x.line])
        for x in order.lines
        if x.line in per_line
    ]
    return ValidatedReturn(order=order, lines=lines, item_ids=item_ids, line_items=line_items)


class ErpActivities:
    def __init__(self, erp: ErpAdapter, store: Store | None = None) -> None:
        self.erp = erp
        self.store = store

    async def _saved_mappings(self) -> dict[str, str]:
        if self.store is None:
            return {}
        return await asyncio.to_thread(self.store.sku_mappings, self.erp.system)

    @activity.defn(name=Act.VALIDATE)
    @typed_failures(not_found=FailureType.ORDER_NOT_FOUND)
    async def validate_return(self, inp: ValidateInput) -> ValidatedReturn:
        if inp.erp_order_id:
            order = await self.erp.get_sales_order(inp.erp_order_id)
        else:
            order = await self.erp.find_sales_order(inp.request.order)
        skus = sorted({line.sku for line in inp.request.lines})
        known = (await self._saved_mappings()) | inp.item_overrides
        missing = [sku for sku in skus if sku not in known]
        found = await self.erp.resolve_items(missing) if missing else {}
        item_ids = {sku: (known | found)[sku] for sku in skus}
        return match_lines(inp.request, order, item_ids)

    @activity.defn(name=Act.CREATE_RA)
    @typed_failures()
    async def create_return_authorization(self, req: ReturnAuthorizationRequest) -> ErpDocument:
        return await self.erp.create_return_authorization(req)

    @activity.defn(name=Act.RECEIVE)
    @typed_failures()
    async def receive_return(self, req: ItemReceiptRequest) -> ErpDocument:
        return await self.erp.receive_return(req)

    @activity.defn(name=Act.CREDIT)
    @typed_failures()
    async def create_credit(self, req: CreditRequest) -> ErpCredit:
        return await self.erp.create_credit(req)

    @activity.defn(name=Act.REFUND)
    @typed_failures()
    async def issue_refund(self, req: RefundRequest) -> ErpDocument:
        return await self.erp.issue_refund(req)

    def all(self) -> list:
        return [
            self.validate_return,
            self.create_return_authorization,
            self.receive_return,
            self.create_credit,
            self.issue_refund,
        ]
