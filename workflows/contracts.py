"""The workflow's side of the activity contract: names, inputs, outputs and failure types.

Workflows call activities by name so they never import adapters; activities/ registers
functions under exactly these names.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field

from workflows.bundles import BundleSplit
from workflows.exceptions import ExceptionCase
from workflows.model import (
    Disposition,
    ErpLineRequest,
    ErpOrder,
    ReturnRequest,
    Transition,
)


class Act(StrEnum):
    VALIDATE = "erp.validate_return"
    CREATE_RA = "erp.create_return_authorization"
    RECEIVE = "erp.receive_return"
    CREDIT = "erp.create_credit"
    REFUND = "erp.issue_refund"
    DISPOSE = "erp.post_disposition"
    STORE_CREDIT = "erp.issue_store_credit"
    AVAILABILITY = "erp.check_availability"
    SALES_ORDER = "erp.create_sales_order"
    CLOSE_RA = "erp.close_return_authorization"
    FLAG_REVIEW = "erp.flag_for_review"
    LOOP_FETCH = "loop.fetch_return"
    LOOP_ACTION = "loop.return_action"
    LOOP_NOTE = "loop.add_note"
    LOOP_DISPOSITIONS = "loop.assess_dispositions"
    STORE_TRANSITION = "store.record_transition"
    STORE_EXCEPTION = "store.record_exception"
    STORE_MAPPING = "store.save_sku_mapping"
    STORE_CUSTOMER_HISTORY = "store.customer_history"


class FailureType(StrEnum):
    """ApplicationError types activities raise for business failures (never retried)."""

    ORDER_NOT_FOUND = "OrderNotFound"
    UNKNOWN_ITEM = "UnknownItem"
    CONFLICT = "Conflict"
    BUSINESS = "BusinessRule"
    AUTH = "AuthRefused"
    ALREADY_RETURNED = "AlreadyReturned"
    UNMAPPED_CODE = "UnmappedCode"  # a reason/disposition/payment code the mapping lacks
    UNMAPPED_LOCATION = "UnmappedLocation"  # a return node or location with no ERP location
    PARTIAL_BUNDLE = "PartialBundle"  # part of a bundle returned and no rule splits it
    GOODS_RECEIVED = "GoodsReceived"  # RA close refused: goods already arrived against it


NON_RETRYABLE = [t.value for t in FailureType]


class ValidateInput(BaseModel):
    request: ReturnRequest
    erp_order_id: str | None = None  # a person named the order (order-not-found resolution)
    item_overrides: dict[str, str] = Field(default_factory=dict)  # sku -> ERP item id


class ValidatedReturn(BaseModel):
    order: ErpOrder
    lines: list[ErpLineRequest]  # aggregated per ERP order line
    item_ids: dict[str, str]  # sku -> ERP item id
    line_items: dict[str, str]  # Loop line_item_id -> ERP order line
    category: str | None = None
    # returned bundles exploded into components (their line ids are in line_items); the
    # workflow refunds a partial receipt with workflows.bundles.received_refund
    bundles: list[BundleSplit] = Field(default_factory=list)
    reason_codes: dict[str, str] = Field(default_factory=dict)  # Loop line -> mapped reason
    exchange_items: dict[str, str] = Field(default_factory=dict)  # replacement sku -> ERP item


class DispositionLine(BaseModel):
    line_item_id: str
    disposition: Disposition
    grade: str | None = None
    note: str | None = None


class DispositionReport(BaseModel):
    return_id: str
    actor: str
    lines: list[DispositionLine]
    inspected_at: datetime


class LoopAction(StrEnum):
    PROCESS = "process"
    CLOSE = "close"
    CANCEL = "cancel"
    FLAG = "flag"


class LoopActionInput(BaseModel):
    return_id: str
    action: LoopAction
    details: dict[str, str] = Field(default_factory=dict)


class NoteInput(BaseModel):
    return_id: str
    content: str


class ReturnProjection(BaseModel):
    """The columns of the store's return row this transition sets (None = leave as is)."""

    state: str
    blocked: bool
    storefront: str | None = None
    erp_system: str | None = None
    outcome: str | None = None
    currency: str | None = None
    category: str | None = None
    loop_refund_amount: Decimal | None = None
    erp_refund_amount: Decimal | None = None
    amount_difference: Decimal | None = None
    auto_approved: bool | None = None
    decision_rule: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    received_at: datetime | None = None
    inspected_at: datetime | None = None
    refunded_at: datetime | None = None
    closed_at: datetime | None = None
    cancelled_at: datetime | None = None
    sla_breached: bool | None = None
    stuck_since: datetime | None = None
    open_exception_count: int | None = None
    # inventory outcome per return, for restock accuracy (received vs restocked vs scrapped)
    units_received: int | None = None
    units_restocked: int | None = None
    units_refurbished: int | None = None
    units_scrapped: int | None = None
    units_returned_to_vendor: int | None = None
    disposed_at: datetime | None = None  # final disposition: the end of the return cycle
    refund_path: str | None = None  # original_tender | store_credit | exchange | none
    sync_direction: str | None = None  # erp-first | storefront-first
    customer_key: str | None = None  # sha256 of the lower-cased email: repeat-returner rules


class TransitionRecord(BaseModel):
    transition: Transition
    projection: ReturnProjection


class ExceptionRecord(BaseModel):
    case: ExceptionCase
    # None: leave the return's row alone (a child workflow, e.g. the exchange, owns no state)
    projection: ReturnProjection | None = None


class CustomerHistoryInput(BaseModel):
    return_id: str  # excluded from the count
    customer_key: str
    since: datetime
    window_days: int
    trusted: bool = False


class SkuMappingInput(BaseModel):
    erp_system: str
    sku: str
    erp_item_id: str
    saved_by: str
    note: str | None = None
