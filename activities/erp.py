"""ERP activities: each a thin call over the configured ErpAdapter.

Validation is the one with logic: it matches Loop's units to the ERP order's lines, because that
match is what every later document (RA, receipt, credit) is built from.
"""

from __future__ import annotations

import asyncio

from temporalio import activity

from activities.failures import typed_failures
from activities.mapping import MasterData
from adapters.erp.protocol import ErpAdapter
from adapters.errors import PartialBundleError, UnknownItemError
from adapters.store import Store
from workflows.bundles import BundleRule, BundleSplit, explode
from workflows.contracts import Act, FailureType, ValidatedReturn, ValidateInput
from workflows.model import (
    Availability,
    CloseAuthorizationRequest,
    CreditRequest,
    DispositionRequest,
    ErpCredit,
    ErpDocument,
    ErpLineRequest,
    ErpOrder,
    ItemReceiptRequest,
    RefundRequest,
    ReturnAuthorizationRequest,
    ReturnLine,
    ReturnRequest,
    ReviewFlagRequest,
    SalesOrderRequest,
    StoreCreditRequest,
)


def match_lines(
    request: ReturnRequest, order: ErpOrder, item_ids: dict[str, str]
) -> ValidatedReturn:
    """Assign each returned unit to an order line with room left; units that fit none fail."""
    room = {line.line: line.quantity for line in order.lines}
    line_items: dict[str, str] = {}
    per_line: dict[str, int] = {}
    reasons: dict[str, set[str | None]] = {}
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
        reasons.setdefault(line.line, set()).add(unit.reason)
    if misfits:
        raise UnknownItemError(
            f"returned SKU(s) {sorted(set(misfits))} are not on ERP order {order.id} "
            "(or more units are returned than were ordered)",
            skus=sorted(set(misfits)),
        )
    lines = [
        ErpLineRequest(
            order_line=x.line,
            item_id=x.item_id,
            quantity=per_line[x.line],
            # the units' Loop reason when they agree (Khaos/Prima route stock by it)
            reason=next(iter(reasons[x.line])) if len(reasons[x.line]) == 1 else None,
        )
        for x in order.lines
        if per_line.get(x.line)  # kit lines carried by other units add none of their own
    ]
    return ValidatedReturn(order=order, lines=lines, item_ids=item_ids, line_items=line_items)


def explode_bundles(
    request: ReturnRequest, order: ErpOrder, bundles: list[BundleRule]
) -> tuple[ReturnRequest, list[BundleSplit]]:
    """Bundle lines the ERP order holds as components become component lines (money split by
    the bundle's rule). Components returned against a kit the ERP order holds as one line must
    come back as whole kits; part of a kit cannot go on a kit line, so it raises
    PartialBundleError (an exception for ops) instead of guessing."""
    on_order = {line.sku for line in order.lines}
    rules = {rule.sku: rule for rule in bundles}
    lines: list[ReturnLine] = []
    splits: list[BundleSplit] = []
    for line in request.lines:
        rule = rules.get(line.sku)
        if rule is None or line.sku in on_order:
            lines.append(line)
            continue
        parts, split = explode(line, rule)
        lines += parts
        splits.append(split)
    for rule in rules.values():
        if rule.sku in on_order:
            lines = _as_kits(lines, rule, on_order)
    return request.model_copy(update={"lines": lines}), splits


def _as_kits(lines: list[ReturnLine], rule: BundleRule, on_order: set[str]) -> list[ReturnLine]:
    """Component lines -> the kit's order line. Every component line keeps its Loop id (so a
    receipt naming it still maps); the kit units ride on one line per kit, the rest carry 0."""
    wanted = {c.sku: c.quantity for c in rule.components if c.sku not in on_order}
    mine = [line for line in lines if line.sku in wanted]
    if not mine:
        return lines
    units = {sku: sum(x.quantity for x in mine if x.sku == sku) for sku in wanted}
    kits = min(units[sku] // qty for sku, qty in wanted.items())
    if any(units[sku] != kits * qty for sku, qty in wanted.items()):
        raise PartialBundleError(
            f"part of kit {rule.sku} was returned ({units}); the ERP order holds the kit as one "
            "line, so the components cannot be credited on their own",
            bundle_sku=rule.sku,
        )
    carriers = {id(x) for x in [x for x in mine if x.sku == rule.components[0].sku][:kits]}
    return [
        x.model_copy(update={"sku": rule.sku, "quantity": 1 if id(x) in carriers else 0})
        if x.sku in wanted
        else x
        for x in lines
    ]


class ErpActivities:
    def __init__(
        self, erp: ErpAdapter, store: Store | None = None, mappings: MasterData | None = None
    ) -> None:
        self.erp = erp
        self.store = store
        self.mappings = mappings or MasterData()

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
        request, splits = explode_bundles(
            self.mappings.normalize(inp.request), order, self.mappings.bundles
        )
        returned = {line.sku for line in request.lines}
        # an exchange's replacements are resolved with the returned items: an unknown one is
        # the same SKU mismatch, found before any document exists
        skus = sorted(returned | {x.sku for x in request.exchanges})
        # the order's own lines name their items: only SKUs not on it cost a catalogue query
        # (one ERP call fewer per return); a mapping or an ops override still wins
        on_order = {line.sku: line.item_id for line in order.lines if line.sku and line.item_id}
        known = (
            on_order
            | self.mappings.skus.items
            | (await self._saved_mappings())
            | inp.item_overrides
        )
        missing = [sku for sku in skus if sku not in known]
        found = await self.erp.resolve_items(missing) if missing else {}
        item_ids = {sku: (known | found)[sku] for sku in skus}
        validated = match_lines(request, order, {s: item_ids[s] for s in returned})
        exchange_items = {x.sku: item_ids[x.sku] for x in request.exchanges}
        return validated.model_copy(
            update={
                "bundles": splits,
                "exchange_items": exchange_items,
                "reason_codes": self.mappings.reason_codes(inp.request),
            }
        )

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

    @activity.defn(name=Act.DISPOSE)
    @typed_failures()
    async def post_disposition(self, req: DispositionRequest) -> ErpDocument:
        return await self.erp.post_disposition(req)

    @activity.defn(name=Act.STORE_CREDIT)
    @typed_failures()
    async def issue_store_credit(self, req: StoreCreditRequest) -> ErpDocument:
        return await self.erp.issue_store_credit(req)

    @activity.defn(name=Act.AVAILABILITY)
    @typed_failures()
    async def check_availability(self, item_ids: list[str]) -> list[Availability]:
        return await self.erp.check_availability(item_ids)

    @activity.defn(name=Act.SALES_ORDER)
    @typed_failures()
    async def create_sales_order(self, req: SalesOrderRequest) -> ErpDocument:
        return await self.erp.create_sales_order(req)

    @activity.defn(name=Act.CLOSE_RA)
    @typed_failures()
    async def close_return_authorization(self, req: CloseAuthorizationRequest) -> ErpDocument:
        return await self.erp.close_return_authorization(req)

    @activity.defn(name=Act.FLAG_REVIEW)
    @typed_failures()
    async def flag_for_review(self, req: ReviewFlagRequest) -> ErpDocument:
        return await self.erp.flag_for_review(req)

    def all(self) -> list:
        return [
            self.validate_return,
            self.create_return_authorization,
            self.receive_return,
            self.create_credit,
            self.issue_refund,
            self.post_disposition,
            self.issue_store_credit,
            self.check_availability,
            self.create_sales_order,
            self.close_return_authorization,
            self.flag_for_review,
        ]
