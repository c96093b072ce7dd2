"""The returned units of one return, counted in ERP terms: Loop lines, bundle components and
the ERP order lines they came from. Pure, so the workflow and tests share one arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from workflows.bundles import BundleSplit, received_refund
from workflows.contracts import ValidatedReturn
from workflows.model import ErpLineRequest, Money, ReceiptInput, ReturnOutcome, ReturnRequest


def loop_figure(request: ReturnRequest) -> Money:
    """What Loop says the customer gets back for the whole return: compared, never posted."""
    totals = request.totals
    figure = totals.gift_card if request.outcome is ReturnOutcome.STORE_CREDIT else totals.refund
    if figure.amount == 0 and totals.return_total.amount > 0:
        figure = totals.return_total - totals.handling_fee
    return figure


@dataclass(frozen=True)
class Goods:
    request: ReturnRequest
    validated: ValidatedReturn | None

    def splits(self) -> dict[str, BundleSplit]:
        bundles = self.validated.bundles if self.validated else []
        return {b.line_item_id: b for b in bundles}

    def parts(self, line_item_id: str, qty: int) -> list[tuple[str, int]]:
        """The validated lines behind a Loop line: itself, or a bundle's components."""
        split = self.splits().get(line_item_id)
        if split is None:
            return [(line_item_id, qty)]
        return [(c.line_item_id, c.quantity * qty) for c in split.components]

    def known_line_ids(self) -> set[str]:
        """What a receipt may name: Loop lines and single bundle components."""
        components = {c.line_item_id for b in self.splits().values() for c in b.components}
        return {line.line_item_id for line in self.request.lines} | components

    def counts(self, receipt: ReceiptInput | None = None) -> dict[str, int]:
        """Units per validated line that arrived (everything when the receipt names none).

        A bundle's Loop line stands for its components: receiving it receives each of them.
        """
        named = (
            [(x.line_item_id, x.quantity) for x in receipt.lines]
            if receipt is not None and receipt.lines is not None
            else [(x.line_item_id, x.quantity) for x in self.request.lines]
        )
        counts: dict[str, int] = {}
        for line_item_id, qty in named:
            for part, units in self.parts(line_item_id, qty):
                counts[part] = counts.get(part, 0) + units
        return counts

    def all_received(self, counts: dict[str, int]) -> bool:
        return all(counts.get(k, 0) >= v for k, v in self.counts().items())

    def partial_bundles(self, counts: dict[str, int]) -> list[BundleSplit]:
        """Bundles only partly received whose rule says a person decides the money."""
        return [b for b in self.splits().values() if received_refund(b, counts) is None]

    def erp_lines(self, counts: dict[str, int]) -> list[ErpLineRequest]:
        """ERP order lines for these units, in the order's line order."""
        assert self.validated is not None
        per_order_line: dict[str, int] = {}
        for line_item_id, qty in counts.items():
            order_line = self.validated.line_items[line_item_id]
            per_order_line[order_line] = per_order_line.get(order_line, 0) + qty
        return [
            ErpLineRequest(
                order_line=line.order_line,
                item_id=line.item_id,
                quantity=per_order_line[line.order_line],
            )
            for line in self.validated.lines
            if line.order_line in per_order_line
        ]

    def has_unit_refunds(self) -> bool:
        return all(x.refund is not None for x in self.request.lines)

    def received_figure(self, counts: dict[str, int]) -> Money | None:
        """Loop's per-unit refunds for the units that arrived (the ERP credits what arrived).

        None when part of a bundle came back that a person carried on with: Loop's whole
        figure is then compared, and finance decides.
        """
        figure = Money.zero(self.request.currency)
        splits = self.splits()
        for line in self.request.lines:
            split = splits.get(line.line_item_id)
            if split is not None:
                part = received_refund(split, counts)
                if part is None:
                    return None
                figure = figure + part
                continue
            got = min(counts.get(line.line_item_id, 0), line.quantity)
            if got and line.refund is not None:
                figure = figure + line.refund.times(Decimal(got) / Decimal(line.quantity))
        return figure.rounded()
