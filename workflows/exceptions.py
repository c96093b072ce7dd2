"""Exception taxonomy: every case the operating model names, with an owner, an SLA and a cure.

An exception is a routed, measured, resolvable object, not a log line. Adding a kind is one
line in ExceptionKind and one row in TAXONOMY.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class OwnerTeam(StrEnum):
    OPS = "ops"
    FINANCE = "finance"
    CX = "cx"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ExceptionKind(StrEnum):
    # ops
    SKU_MISMATCH = "sku_mismatch"
    ORDER_NOT_FOUND = "order_not_found"
    DUPLICATE_RETURN = "duplicate_return"
    PARTIAL_BUNDLE_RETURN = "partial_bundle_return"
    RECEIVED_NOT_INSPECTED = "received_not_inspected"
    IN_TRANSIT_TOO_LONG = "in_transit_too_long"
    ERP_POSTING_FAILED = "erp_posting_failed"
    UNMAPPED_CODE = "unmapped_code"
    UNMAPPED_LOCATION = "unmapped_location"
    CANCELLED_AFTER_RECEIPT = "cancelled_after_receipt"
    WEBHOOK_SUBSCRIPTION_INACTIVE = "webhook_subscription_inactive"
    LOOP_SYNC_FAILED = "loop_sync_failed"
    MANUAL_REVIEW = "manual_review"
    ORPHANED_RETURN = "orphaned_return"  # reconciliation: in Loop, no RA in the ERP
    ERP_DOCUMENT_WITHOUT_RETURN = "erp_document_without_return"  # reconciliation
    RECEIVED_BUT_OPEN_IN_LOOP = "received_but_open_in_loop"  # reconciliation
    RESTOCK_WITHOUT_INSPECTION = "restock_without_inspection"  # reconciliation
    # finance
    REFUND_BEFORE_RECEIPT = "refund_before_receipt"
    APPROVAL_OVERDUE = "approval_overdue"
    AMOUNT_MISMATCH = "amount_mismatch"
    REFUND_WITHOUT_CREDIT = "refund_without_credit"
    GL_POSTING_FAILED = "gl_posting_failed"
    REFUND_SYNC_FAILED = "refund_sync_failed"
    # cx
    HIGH_RISK_CUSTOMER = "high_risk_customer"
    EXCHANGE_BLOCKED = "exchange_blocked"
    CUSTOMER_STATUS_BLOCKED = "customer_status_blocked"


class Resolution(StrEnum):
    """What a person may do to an open exception; `cancel_return` is always allowed."""

    CANCEL_RETURN = "cancel_return"
    USE_ERP_ITEM = "use_erp_item"  # needs erp_item_id; may save the mapping
    USE_ERP_ORDER = "use_erp_order"  # needs erp_order_id
    RETRY = "retry"  # try the failed step again
    ACCEPT_ERP_AMOUNT = "accept_erp_amount"  # finance accepts the ERP's figure
    PROCEED = "proceed"  # checked by a person, carry on
    CLOSE_AS_DUPLICATE = "close_as_duplicate"
    CANCEL_REFUND = "cancel_refund"  # stop a refund that cannot sync; the return closes unpaid
    MARK_DONE = "mark_done"  # a person did the step by hand in the other system
    WAIT = "wait"  # exchange: keep waiting for stock; availability is re-checked on a timer
    OTHER_VARIANT = "other_variant"  # exchange: ship another item instead (needs erp_item_id)
    REFUND_INSTEAD = "refund_instead"  # exchange: give up the exchange, refund the customer


class KindSpec(BaseModel):
    owner: OwnerTeam
    severity: Severity
    sla: timedelta
    resolutions: tuple[Resolution, ...]
    summary: str
    customer_message: str = "Your return needs a quick check by our team; we'll update you soon."


_H = timedelta(hours=1)
_D = timedelta(days=1)
R = Resolution

TAXONOMY: dict[ExceptionKind, KindSpec] = {
    ExceptionKind.SKU_MISMATCH: KindSpec(
        owner=OwnerTeam.OPS,
        severity=Severity.HIGH,
        sla=4 * _H,
        resolutions=(R.USE_ERP_ITEM,),
        summary="Loop item has no ERP item",
    ),
    ExceptionKind.ORDER_NOT_FOUND: KindSpec(
        owner=OwnerTeam.OPS,
        severity=Severity.HIGH,
        sla=4 * _H,
        resolutions=(R.USE_ERP_ORDER, R.RETRY),
        summary="original order not in the ERP (guest checkout, channel mismatch, split shipment)",
    ),
    ExceptionKind.DUPLICATE_RETURN: KindSpec(
        owner=OwnerTeam.OPS,
        severity=Severity.MEDIUM,
        sla=_D,
        resolutions=(R.CLOSE_AS_DUPLICATE, R.PROCEED),
        summary="these order lines are already on another return",
    ),
    ExceptionKind.PARTIAL_BUNDLE_RETURN: KindSpec(
        owner=OwnerTeam.OPS,
        severity=Severity.MEDIUM,
        sla=_D,
        resolutions=(R.PROCEED,),
        summary="part of a bundle or kit returned and no rule splits it",
    ),
    ExceptionKind.RECEIVED_NOT_INSPECTED: KindSpec(
        owner=OwnerTeam.OPS,
        severity=Severity.MEDIUM,
        sla=2 * _D,
        resolutions=(R.PROCEED,),
        summary="received but not inspected (stuck at the 3PL)",
    ),
    ExceptionKind.IN_TRANSIT_TOO_LONG: KindSpec(
        owner=OwnerTeam.OPS,
        severity=Severity.LOW,
        sla=3 * _D,
        resolutions=(R.PROCEED,),
        summary="parcel in transit longer than the receipt SLA",
    ),
    ExceptionKind.ERP_POSTING_FAILED: KindSpec(
        owner=OwnerTeam.OPS,
        severity=Severity.HIGH,
        sla=4 * _H,
        resolutions=(R.RETRY,),
        summary="an ERP write failed after all retries",
    ),
    ExceptionKind.UNMAPPED_CODE: KindSpec(
        owner=OwnerTeam.OPS,
        severity=Severity.MEDIUM,
        sla=_D,
        resolutions=(R.PROCEED, R.RETRY),
        summary="reason or disposition code has no mapping",
    ),
    ExceptionKind.UNMAPPED_LOCATION: KindSpec(
        owner=OwnerTeam.OPS,
        severity=Severity.MEDIUM,
        sla=_D,
        resolutions=(R.RETRY,),
        summary="return location has no ERP location",
    ),
    ExceptionKind.CANCELLED_AFTER_RECEIPT: KindSpec(
        owner=OwnerTeam.OPS,
        severity=Severity.HIGH,
        sla=_D,
        resolutions=(R.PROCEED,),
        summary="return cancelled in Loop after goods arrived",
    ),
    ExceptionKind.WEBHOOK_SUBSCRIPTION_INACTIVE: KindSpec(
        owner=OwnerTeam.OPS,
        severity=Severity.HIGH,
        sla=_H,
        resolutions=(R.PROCEED,),
        summary="a Loop webhook subscription was switched off",
    ),
    ExceptionKind.LOOP_SYNC_FAILED: KindSpec(
        owner=OwnerTeam.OPS,
        severity=Severity.MEDIUM,
        sla=4 * _H,
        resolutions=(R.RETRY, R.MARK_DONE),
        summary="Loop refused or failed a process/close/cancel after all retries",
    ),
    ExceptionKind.MANUAL_REVIEW: KindSpec(
        owner=OwnerTeam.OPS,
        severity=Severity.MEDIUM,
        sla=_D,
        resolutions=(R.PROCEED,),
        summary="flagged for manual review (Loop review state or the ERP's review flag)",
    ),
    ExceptionKind.ORPHANED_RETURN: KindSpec(
        owner=OwnerTeam.OPS,
        severity=Severity.HIGH,
        sla=4 * _H,
        resolutions=(R.RETRY, R.MARK_DONE),
        summary="return in Loop with no return authorization in the ERP",
    ),
    ExceptionKind.ERP_DOCUMENT_WITHOUT_RETURN: KindSpec(
        owner=OwnerTeam.FINANCE,
        severity=Severity.MEDIUM,
        sla=_D,
        resolutions=(R.PROCEED, R.MARK_DONE),
        summary="ERP return document with no Loop return behind it",
    ),
    ExceptionKind.RECEIVED_BUT_OPEN_IN_LOOP: KindSpec(
        owner=OwnerTeam.OPS,
        severity=Severity.MEDIUM,
        sla=_D,
        resolutions=(R.RETRY, R.MARK_DONE),
        summary="goods received in the ERP but the return is still open in Loop",
    ),
    ExceptionKind.RESTOCK_WITHOUT_INSPECTION: KindSpec(
        owner=OwnerTeam.OPS,
        severity=Severity.HIGH,
        sla=4 * _H,
        resolutions=(R.PROCEED, R.MARK_DONE),
        summary="Loop restocked items with no inspected receipt in the ERP",
    ),
    ExceptionKind.REFUND_BEFORE_RECEIPT: KindSpec(
        owner=OwnerTeam.FINANCE,
        severity=Severity.HIGH,
        sla=4 * _H,
        resolutions=(R.PROCEED,),
        summary="refund requested before the goods were received",
    ),
    ExceptionKind.APPROVAL_OVERDUE: KindSpec(
        owner=OwnerTeam.FINANCE,
        severity=Severity.MEDIUM,
        sla=_D,
        resolutions=(R.PROCEED,),
        summary="refund awaiting approval past its SLA",
    ),
    ExceptionKind.AMOUNT_MISMATCH: KindSpec(
        owner=OwnerTeam.FINANCE,
        severity=Severity.HIGH,
        sla=_D,
        resolutions=(R.ACCEPT_ERP_AMOUNT,),
        summary="Loop and ERP refund amounts differ beyond tolerance",
    ),
    ExceptionKind.REFUND_WITHOUT_CREDIT: KindSpec(
        owner=OwnerTeam.FINANCE,
        severity=Severity.HIGH,
        sla=_D,
        resolutions=(R.RETRY, R.PROCEED),
        summary="refund executed without a posted credit note",
    ),
    ExceptionKind.GL_POSTING_FAILED: KindSpec(
        owner=OwnerTeam.FINANCE,
        severity=Severity.HIGH,
        sla=4 * _H,
        resolutions=(R.RETRY,),
        summary="credit or refund posting to the ledger failed",
    ),
    ExceptionKind.REFUND_SYNC_FAILED: KindSpec(
        owner=OwnerTeam.FINANCE,
        severity=Severity.HIGH,
        sla=4 * _H,
        resolutions=(R.RETRY, R.CANCEL_REFUND),
        summary="refund failed to sync (order deleted, payment declined)",
    ),
    ExceptionKind.HIGH_RISK_CUSTOMER: KindSpec(
        owner=OwnerTeam.CX,
        severity=Severity.MEDIUM,
        sla=_D,
        resolutions=(R.PROCEED,),
        summary="high-risk pattern: contact the customer",
    ),
    ExceptionKind.EXCHANGE_BLOCKED: KindSpec(
        owner=OwnerTeam.CX,
        severity=Severity.HIGH,
        sla=_D,
        resolutions=(R.WAIT, R.OTHER_VARIANT, R.REFUND_INSTEAD, R.RETRY),
        summary="exchange blocked (out of stock or not sellable)",
    ),
    ExceptionKind.CUSTOMER_STATUS_BLOCKED: KindSpec(
        owner=OwnerTeam.CX,
        severity=Severity.LOW,
        sla=_D,
        resolutions=(R.PROCEED,),
        summary="customer-facing status is blocked by another exception",
    ),
}


def spec(kind: ExceptionKind) -> KindSpec:
    return TAXONOMY[kind]


def allowed_resolutions(kind: ExceptionKind) -> tuple[Resolution, ...]:
    return (*TAXONOMY[kind].resolutions, Resolution.CANCEL_RETURN)


class ExceptionStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class ExceptionCase(BaseModel):
    """One exception on one return; its id is derived from the return id, never random."""

    id: str
    kind: ExceptionKind
    owner: OwnerTeam
    severity: Severity
    return_id: str
    opened_at: datetime
    due_at: datetime
    gate: str
    blocking: bool = True  # False for SLA-timer cases: the gate may still pass on its own
    evidence: dict[str, Any] = Field(default_factory=dict)
    status: ExceptionStatus = ExceptionStatus.OPEN
    escalation_level: int = 0  # 0 open, 1 warned, 2 breached, 3 escalated to the owner's lead
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution: str | None = None
    resolution_detail: dict[str, Any] = Field(default_factory=dict)


def open_case(
    kind: ExceptionKind,
    return_id: str,
    seq: int,
    at: datetime,
    gate: str,
    evidence: dict[str, Any],
    blocking: bool = True,
    sla: timedelta | None = None,
) -> ExceptionCase:
    """A new case; `sla` overrides the taxonomy's default (per-kind config)."""
    kind_spec = spec(kind)
    return ExceptionCase(
        id=f"{return_id}-x{seq}",
        kind=kind,
        owner=kind_spec.owner,
        severity=kind_spec.severity,
        return_id=return_id,
        opened_at=at,
        due_at=at + (sla or kind_spec.sla),
        gate=gate,
        blocking=blocking,
        evidence=evidence,
    )


def check_resolution(
    case: ExceptionCase, action: str, erp_item_id: str | None, erp_order_id: str | None
) -> str | None:
    """Return why this resolution does not fit the case, or None when it does."""
    if case.status is not ExceptionStatus.OPEN:
        return f"exception {case.id} is already {case.status.value}"
    try:
        chosen = Resolution(action)
    except ValueError:
        return f"unknown action {action!r}"
    allowed = allowed_resolutions(case.kind)
    if chosen not in allowed:
        return f"{case.kind.value} is resolved by one of {[a.value for a in allowed]}, not {action}"
    if chosen is Resolution.USE_ERP_ITEM and not erp_item_id:
        return "use_erp_item needs erp_item_id"
    if chosen is Resolution.USE_ERP_ORDER and not erp_order_id:
        return "use_erp_order needs erp_order_id"
    if chosen is Resolution.OTHER_VARIANT and not erp_item_id:
        return "other_variant needs erp_item_id (the replacement item)"
    return None
