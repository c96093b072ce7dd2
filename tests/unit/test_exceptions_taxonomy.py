"""The exception taxonomy: every kind routed, every cure checked, and the docs table kept true."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from workflows.exceptions import (
    TAXONOMY,
    ExceptionCase,
    ExceptionKind,
    ExceptionStatus,
    OwnerTeam,
    Resolution,
    Severity,
    allowed_resolutions,
    check_resolution,
    open_case,
    spec,
)

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
OPERATING_MODEL = Path(__file__).resolve().parents[2] / "docs" / "operating-model.md"


def case(kind: ExceptionKind, status: ExceptionStatus = ExceptionStatus.OPEN) -> ExceptionCase:
    c = open_case(kind, "1674", 1, AT, "validation", {"sku": "TEE-PNK-XS"})
    c.status = status
    return c


# --- the table itself -----------------------------------------------------------------------


def test_every_kind_has_exactly_one_row() -> None:
    assert set(TAXONOMY) == set(ExceptionKind)


@pytest.mark.parametrize("kind", list(ExceptionKind))
def test_every_row_is_routed_and_curable(kind: ExceptionKind) -> None:
    row = spec(kind)
    assert row.owner in set(OwnerTeam)
    assert row.severity in set(Severity)
    assert timedelta(0) < row.sla <= timedelta(days=7)
    assert row.resolutions, f"{kind} has no resolution"
    assert len(set(row.resolutions)) == len(row.resolutions)
    assert Resolution.CANCEL_RETURN not in row.resolutions, "cancel_return is added for all"
    assert row.summary.strip() and row.customer_message.strip()


def test_routing_follows_the_operating_model() -> None:
    """Ops own matching and receipt gaps, finance own money, CX own the customer."""
    owners = {kind: spec(kind).owner for kind in ExceptionKind}
    assert owners[ExceptionKind.SKU_MISMATCH] is OwnerTeam.OPS
    assert owners[ExceptionKind.ORDER_NOT_FOUND] is OwnerTeam.OPS
    assert owners[ExceptionKind.RECEIVED_NOT_INSPECTED] is OwnerTeam.OPS
    assert owners[ExceptionKind.AMOUNT_MISMATCH] is OwnerTeam.FINANCE
    assert owners[ExceptionKind.APPROVAL_OVERDUE] is OwnerTeam.FINANCE
    assert owners[ExceptionKind.GL_POSTING_FAILED] is OwnerTeam.FINANCE
    assert owners[ExceptionKind.REFUND_BEFORE_RECEIPT] is OwnerTeam.FINANCE
    assert owners[ExceptionKind.CUSTOMER_STATUS_BLOCKED] is OwnerTeam.CX
    assert owners[ExceptionKind.HIGH_RISK_CUSTOMER] is OwnerTeam.CX


def test_cures_that_need_an_id_belong_to_the_kinds_that_have_one() -> None:
    assert spec(ExceptionKind.SKU_MISMATCH).resolutions == (Resolution.USE_ERP_ITEM,)
    assert Resolution.USE_ERP_ORDER in spec(ExceptionKind.ORDER_NOT_FOUND).resolutions
    assert spec(ExceptionKind.AMOUNT_MISMATCH).resolutions == (Resolution.ACCEPT_ERP_AMOUNT,)


@pytest.mark.parametrize("kind", list(ExceptionKind))
def test_cancel_return_is_always_allowed(kind: ExceptionKind) -> None:
    assert Resolution.CANCEL_RETURN in allowed_resolutions(kind)
    assert allowed_resolutions(kind)[:-1] == spec(kind).resolutions
    assert check_resolution(case(kind), "cancel_return", None, None) is None


# --- opening a case -------------------------------------------------------------------------


def test_open_case_takes_owner_severity_and_due_time_from_the_taxonomy() -> None:
    c = open_case(ExceptionKind.AMOUNT_MISMATCH, "1674", 3, AT, "credit", {"difference": "1.00"})
    assert c.id == "1674-x3"
    assert c.owner is OwnerTeam.FINANCE and c.severity is Severity.HIGH
    assert c.due_at == AT + timedelta(days=1)
    assert c.status is ExceptionStatus.OPEN and c.blocking and c.escalation_level == 0


def test_case_ids_are_derived_never_random() -> None:
    a = open_case(ExceptionKind.SKU_MISMATCH, "1674", 1, AT, "validation", {})
    b = open_case(ExceptionKind.SKU_MISMATCH, "1674", 1, AT, "validation", {})
    assert a == b


def test_sla_cases_can_be_non_blocking() -> None:
    c = open_case(ExceptionKind.APPROVAL_OVERDUE, "1674", 2, AT, "approval", {}, blocking=False)
    assert not c.blocking


# --- check_resolution -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ExceptionKind))
def test_each_listed_resolution_fits_its_kind(kind: ExceptionKind) -> None:
    for action in spec(kind).resolutions:
        assert check_resolution(case(kind), action.value, "502", "9006") is None


@pytest.mark.parametrize("kind", list(ExceptionKind))
def test_resolutions_of_other_kinds_are_refused(kind: ExceptionKind) -> None:
    for action in set(Resolution) - set(allowed_resolutions(kind)):
        problem = check_resolution(case(kind), action.value, "502", "9006")
        assert problem is not None
        assert kind.value in problem and action.value in problem


def test_unknown_action_is_refused() -> None:
    problem = check_resolution(case(ExceptionKind.SKU_MISMATCH), "shrug", None, None)
    assert problem == "unknown action 'shrug'"


def test_use_erp_item_needs_an_item_id() -> None:
    for missing in (None, ""):
        problem = check_resolution(case(ExceptionKind.SKU_MISMATCH), "use_erp_item", missing, None)
        assert problem == "use_erp_item needs erp_item_id"


def test_use_erp_order_needs_an_order_id() -> None:
    problem = check_resolution(case(ExceptionKind.ORDER_NOT_FOUND), "use_erp_order", "502", None)
    assert problem == "use_erp_order needs erp_order_id"


def test_a_resolved_case_cannot_be_resolved_again() -> None:
    resolved = case(ExceptionKind.SKU_MISMATCH, ExceptionStatus.RESOLVED)
    for action in ("use_erp_item", "cancel_return"):
        problem = check_resolution(resolved, action, "502", None)
        assert problem == "exception 1674-x1 is already resolved"


# --- the docs table is the taxonomy -----------------------------------------------------------


def _sla(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    return f"{seconds // 86400}d" if seconds % 86400 == 0 else f"{seconds // 3600}h"


def _docs_rows() -> dict[str, list[str]]:
    text = OPERATING_MODEL.read_text(encoding="utf-8")
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and re.fullmatch(r"`[a-z_]+`", cells[0]):
            rows[cells[0].strip("`")] = cells
    return rows


def test_operating_model_exception_table_matches_the_taxonomy() -> None:
    rows = _docs_rows()
    assert set(rows) == {k.value for k in ExceptionKind}, "docs table kinds differ from the code"
    for kind, row in TAXONOMY.items():
        _, owner, severity, sla, resolutions, summary, _opened = rows[kind.value]
        expected = ", ".join(f"`{r.value}`" for r in row.resolutions)
        assert (owner, severity, sla, resolutions, summary) == (
            row.owner.value,
            row.severity.value,
            _sla(row.sla),
            expected,
            row.summary,
        ), f"docs/operating-model.md row for {kind.value} is out of date"
