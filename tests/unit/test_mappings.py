"""The mapping file: loading, errors at their line, typed look-up failures, bundle splits."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from activities.erp import explode_bundles
from activities.failures import business_failure
from activities.mapping import MasterData
from adapters.errors import PartialBundleError, UnmappedCodeError, UnmappedLocationError
from tests.unit.test_policy import request as empty_request
from workers.mappings import MappingFileError, load_mappings, parse_mappings
from workflows.bundles import (
    BundleComponent,
    BundleRule,
    PartialRule,
    SplitRule,
    allocate,
    explode,
    received_refund,
)
from workflows.contracts import FailureType
from workflows.model import (
    Disposition,
    ErpOrder,
    ErpOrderLine,
    Money,
    ReturnLine,
    ReturnRequest,
)

EXAMPLE = Path(__file__).parents[2] / "docs" / "mappings.example.toml"


@pytest.fixture(scope="module")
def master() -> MasterData:
    return load_mappings(EXAMPLE)


def gbp(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="GBP")


def line(line_id: str, sku: str, price: str, tax: str = "0", variant: str | None = None):
    return ReturnLine(
        line_item_id=line_id,
        sku=sku,
        variant_id=variant,
        price=gbp(price),
        discount=gbp("0"),
        tax=gbp(tax),
    )


def request(*lines: ReturnLine) -> ReturnRequest:
    return empty_request("GBP").model_copy(update={"lines": list(lines)})


def order(*skus: tuple[str, int]) -> ErpOrder:
    return ErpOrder(
        id="9001",
        customer_id="101",
        currency="GBP",
        lines=[
            ErpOrderLine(
                line=str(2 * n + 1),
                item_id=sku,
                sku=sku,
                quantity=q,
                rate=Decimal(0),
                amount=Decimal(0),
            )
            for n, (sku, q) in enumerate(skus)
        ],
    )


# --- the file -------------------------------------------------------------------------------


def test_example_file_loads_every_table(master: MasterData) -> None:
    assert master.location("sellable") == "1"
    assert master.return_node("returns-3pl").kind.value == "3pl"
    assert master.reason("Item was too big") == "size_too_big"
    assert master.loop_disposition("donate") is Disposition.SCRAP
    assert master.grade("grade_b") is Disposition.REFURBISH
    assert master.outbound_disposition(Disposition.RESTOCK) == "back_to_stock"
    assert master.payment_method("gift_card") == "5"
    assert master.sku_of(line("1", "TEE-BLACK-M", "25")) == "TEE-BLK-M"  # alias
    assert master.sku_of(line("1", "", "25", variant="40001")) == "TEE-BLK-M"  # variant
    assert [c.sku for c in master.bundles[1].components] == ["SNK-WHT-42", "TEE-WHT-M"]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (('weight = "35.50"', 'weight = "-1"'), "bundles[0].components[1].weight"),
        (('recycle = "scrap"', 'recycle = "shred"'), "dispositions.loop.recycle"),
        (('kind = "3pl"', 'kind = "depot"'), "return_nodes[1].kind"),
        (("[payment_methods]", "[payment_method]"), "payment_method"),  # unknown table
    ],
)
def test_validation_errors_point_at_their_line(change: tuple[str, str], where: str) -> None:
    text = EXAMPLE.read_text()
    assert text.count(change[0]) == 1
    bad = text.replace(change[0], change[1])
    line_no = next(n for n, x in enumerate(bad.splitlines(), start=1) if change[1] in x)
    with pytest.raises(MappingFileError) as caught:
        parse_mappings(bad, "m.toml")
    [problem] = caught.value.problems
    assert (problem.line, problem.where) == (line_no, where)
    assert str(caught.value).startswith(f"m.toml:{line_no}: {where}: ")


def test_syntax_errors_and_outbound_vocabulary() -> None:
    with pytest.raises(MappingFileError) as caught:
        parse_mappings('version = 1\n[reasons]\n"a" = \n')
    assert caught.value.problems[0].line == 3
    with pytest.raises(MappingFileError, match="not Loop disposition outcomes"):
        parse_mappings('[dispositions.outbound]\nrestock = "shelf"\n')
    with pytest.raises(MappingFileError, match="no Loop outcome for"):
        parse_mappings('[dispositions.outbound]\nrestock = "back_to_stock"\n')
    with pytest.raises(MappingFileError, match="duplicate entries"):
        parse_mappings('[[bundles]]\nsku="K"\ncomponents=[{sku="A"}]\n' * 2)


# --- unmapped values are typed failures, never defaults ------------------------------------


@pytest.mark.parametrize(
    ("look_up", "error", "kind", "failure"),
    [
        (lambda m: m.reason("It smelled"), UnmappedCodeError, "reason", FailureType.UNMAPPED_CODE),
        (
            lambda m: m.loop_disposition("burn"),
            UnmappedCodeError,
            "disposition",
            FailureType.UNMAPPED_CODE,
        ),
        (lambda m: m.grade("grade_z"), UnmappedCodeError, "grade", FailureType.UNMAPPED_CODE),
        (
            lambda m: m.payment_method("paypal"),
            UnmappedCodeError,
            "payment_method",
            FailureType.UNMAPPED_CODE,
        ),
        (
            lambda m: m.location("outlet"),
            UnmappedLocationError,
            "location",
            FailureType.UNMAPPED_LOCATION,
        ),
        (
            lambda m: m.return_node("leeds-dc"),
            UnmappedLocationError,
            "return_node",
            FailureType.UNMAPPED_LOCATION,
        ),
    ],
)
def test_each_unmapped_kind_raises_its_typed_error(
    master: MasterData, look_up, error, kind: str, failure: FailureType
) -> None:
    with pytest.raises(error) as caught:
        look_up(master)
    assert caught.value.kind == kind
    app_error = business_failure(caught.value, FailureType.BUSINESS)
    assert app_error.type == failure and app_error.non_retryable
    assert app_error.details[0]["kind"] == kind


# --- bundles --------------------------------------------------------------------------------


def test_proportional_split_adds_up_to_the_cent(master: MasterData) -> None:
    kit = master.bundle("KIT-TEE-SCARF")
    assert kit is not None
    parts, split = explode(line("77", "KIT-TEE-SCARF", "49.99", tax="10.00"), kit)
    assert [(p.line_item_id, p.sku) for p in parts] == [
        ("77:TEE-BLK-M", "TEE-BLK-M"),
        ("77:SCF-RED-OS", "SCF-RED-OS"),
    ]
    assert [p.price.amount for p in parts] == [Decimal("20.66"), Decimal("29.33")]
    assert sum(p.price.amount for p in parts) == Decimal("49.99")
    assert sum(p.tax.amount for p in parts) == Decimal("10.00")
    assert sum(c.refund.amount for c in split.components) == Decimal("59.99")


@given(
    st.decimals(min_value=0, max_value=10000, places=2),
    st.lists(st.integers(min_value=1, max_value=500), min_size=1, max_size=6),
)
def test_allocation_never_loses_a_cent(amount: Decimal, weights: list[int]) -> None:
    total = sum(weights)
    parts = allocate(gbp(str(amount)), [Decimal(w) / total for w in weights])
    assert sum(p.amount for p in parts) == amount
    assert all(p.amount >= 0 for p in parts)


def test_equal_and_first_rules() -> None:
    components = [BundleComponent(sku="A"), BundleComponent(sku="B", quantity=2)]
    equal = BundleRule(sku="K", components=components, split=SplitRule.EQUAL)
    first = BundleRule(sku="K", components=components, split=SplitRule.FIRST)
    assert [p.price.amount for p in explode(line("1", "K", "30.00"), equal)[0]] == [
        Decimal("10.00"),
        Decimal("20.00"),
    ]
    parts, _ = explode(line("1", "K", "30.00"), first)
    assert [(p.price.amount, p.quantity) for p in parts] == [(Decimal("30.00"), 1), (0, 2)]


def test_partial_receipt_refunds_by_rule_or_asks_a_person(master: MasterData) -> None:
    kit = master.bundle("KIT-TEE-SCARF")
    assert kit is not None
    _, split = explode(line("77", "KIT-TEE-SCARF", "60.50"), kit)
    assert received_refund(split, {"77:TEE-BLK-M": 1}) == gbp("25.00")
    assert received_refund(split, {"77:TEE-BLK-M": 1, "77:SCF-RED-OS": 1}) == gbp("60.50")
    strict = split.model_copy(update={"partial": PartialRule.EXCEPTION})
    assert received_refund(strict, {"77:TEE-BLK-M": 1}) is None
    assert received_refund(strict, {"77:TEE-BLK-M": 1, "77:SCF-RED-OS": 1}) == gbp("60.50")


def test_validation_explodes_bundles_the_erp_holds_as_components(master: MasterData) -> None:
    loop = request(line("77", "KIT-TEE-SCARF", "60.50"), line("78", "BAG-TAN-OS", "89.99"))
    exploded, splits = explode_bundles(
        loop, order(("TEE-BLK-M", 1), ("SCF-RED-OS", 1), ("BAG-TAN-OS", 1)), master.bundles
    )
    assert [x.sku for x in exploded.lines] == ["TEE-BLK-M", "SCF-RED-OS", "BAG-TAN-OS"]
    assert [s.line_item_id for s in splits] == ["77"]
    # the ERP sells the kit as one item: the bundle line stays whole
    same, none = explode_bundles(
        loop, order(("KIT-TEE-SCARF", 1), ("BAG-TAN-OS", 1)), master.bundles
    )
    assert [x.sku for x in same.lines] == ["KIT-TEE-SCARF", "BAG-TAN-OS"] and none == []


def test_components_against_a_kit_line_must_be_whole_kits(master: MasterData) -> None:
    kit_order = order(("KIT-TEE-SCARF", 2))
    whole = request(
        line("1", "TEE-BLK-M", "25"),
        line("2", "SCF-RED-OS", "35.50"),
        line("3", "TEE-BLK-M", "25"),
        line("4", "SCF-RED-OS", "35.50"),
    )
    kits, _ = explode_bundles(whole, kit_order, master.bundles)
    assert [(x.line_item_id, x.sku, x.quantity) for x in kits.lines] == [
        ("1", "KIT-TEE-SCARF", 1),
        ("2", "KIT-TEE-SCARF", 0),
        ("3", "KIT-TEE-SCARF", 1),
        ("4", "KIT-TEE-SCARF", 0),
    ]
    with pytest.raises(PartialBundleError) as caught:
        explode_bundles(request(line("1", "TEE-BLK-M", "25")), kit_order, master.bundles)
    assert caught.value.bundle_sku == "KIT-TEE-SCARF"
    failure = business_failure(caught.value, FailureType.BUSINESS)
    assert failure.type == FailureType.PARTIAL_BUNDLE
