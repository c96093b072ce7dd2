"""The returned units in ERP terms: bundle lines stand for their components, a partial receipt
is priced by Loop's unit refunds, and the ERP lines follow the order's line order."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from workflows.bundles import BundleComponent, BundleRule, SplitRule, explode
from workflows.contracts import ValidatedReturn
from workflows.goods import Goods
from workflows.model import ErpLineRequest, Money, ReceiptInput, ReceivedLine, ReturnLine

from .test_mappings import order, request


def unit(line_id: str, sku: str, refund: str) -> ReturnLine:
    gbp = Money.of(refund, "GBP")
    return ReturnLine(
        line_item_id=line_id,
        sku=sku,
        price=gbp,
        discount=Money.zero("GBP"),
        tax=Money.zero("GBP"),
        refund=gbp,
    )


KIT = BundleRule(
    sku="KIT",
    components=[BundleComponent(sku="TEE"), BundleComponent(sku="SCF")],
    split=SplitRule.EQUAL,
)


def goods() -> Goods:
    """Two tees on order line 1 and a kit (a tee and a scarf) exploded onto lines 1 and 3."""
    kit_line = unit("k", "KIT", "40.00")
    parts, split = explode(kit_line, KIT)
    req = request(unit("a", "TEE", "25.00"), unit("b", "TEE", "25.00"), kit_line)
    validated = ValidatedReturn(
        order=order(("TEE", 3), ("SCF", 1)),
        lines=[
            ErpLineRequest(order_line="1", item_id="TEE", quantity=3),
            ErpLineRequest(order_line="3", item_id="SCF", quantity=1),
        ],
        item_ids={"TEE": "TEE", "SCF": "SCF"},
        line_items={"a": "1", "b": "1", parts[0].line_item_id: "1", parts[1].line_item_id: "3"},
        bundles=[split],
    )
    return Goods(req, validated)


def test_receiving_everything_receives_the_kit_as_its_components() -> None:
    g = goods()
    counts = g.counts(ReceiptInput(actor="dock"))
    assert counts == {"a": 1, "b": 1, "k:TEE": 1, "k:SCF": 1}
    assert g.all_received(counts)
    assert [(x.order_line, x.quantity) for x in g.erp_lines(counts)] == [("1", 3), ("3", 1)]
    assert g.known_line_ids() == {"a", "b", "k", "k:TEE", "k:SCF"}


def test_a_partial_receipt_is_priced_by_what_came_back() -> None:
    g = goods()
    receipt = ReceiptInput(
        actor="dock", lines=[ReceivedLine(line_item_id="a"), ReceivedLine(line_item_id="k:SCF")]
    )
    counts = g.counts(receipt)
    assert not g.all_received(counts)
    assert g.partial_bundles(counts) == [g.validated.bundles[0]]  # type: ignore[union-attr]
    assert g.received_figure(counts) is None  # the kit's rule asks a person
    split_kit = g.validated.bundles[0].model_copy(update={"partial": "split"})  # type: ignore[union-attr]
    g2 = Goods(g.request, g.validated.model_copy(update={"bundles": [split_kit]}))  # type: ignore[union-attr]
    assert g2.received_figure(counts) == Money.of("45.00", "GBP")  # a tee + half the kit


@given(st.lists(st.sampled_from(["a", "b", "k:TEE", "k:SCF"]), unique=True))
def test_a_partial_figure_never_exceeds_the_whole(arrived: list[str]) -> None:
    g = goods()
    split_kit = g.validated.bundles[0].model_copy(update={"partial": "split"})  # type: ignore[union-attr]
    g = Goods(g.request, g.validated.model_copy(update={"bundles": [split_kit]}))  # type: ignore[union-attr]
    counts = g.counts(
        ReceiptInput(actor="dock", lines=[ReceivedLine(line_item_id=x) for x in arrived])
    )
    figure = g.received_figure(counts)
    assert figure is not None and Decimal(0) <= figure.amount <= Decimal("90.00")
