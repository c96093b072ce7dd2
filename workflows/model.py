"""Types that cross the Temporal boundary.

Everything here is a pydantic model so the pydantic data converter carries it: Decimal money
travels as strings, datetimes are timezone-aware, ids from outside are strings. Adapters
translate outside payloads into these types and nothing else crosses into workflow code.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workflows.exceptions import ExceptionCase

# ISO 4217 minor units for the currencies that differ from 2; everything else rounds to cents.
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3, "JOD": 3}


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


class Money(BaseModel):
    """An amount in one currency; arithmetic refuses to mix currencies."""

    model_config = ConfigDict(frozen=True)

    amount: Decimal
    currency: str = Field(min_length=3, max_length=3)

    @field_validator("currency")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(amount=Decimal(0), currency=currency)

    @classmethod
    def of(cls, amount: Decimal | str | int, currency: str) -> Money:
        return cls(amount=Decimal(str(amount)), currency=currency).rounded()

    def rounded(self) -> Money:
        exp = Decimal(1).scaleb(-minor_units(self.currency))
        return Money(
            amount=self.amount.quantize(exp, rounding=ROUND_HALF_EVEN), currency=self.currency
        )

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def times(self, factor: int | Decimal) -> Money:
        return Money(amount=self.amount * Decimal(factor), currency=self.currency)

    def __str__(self) -> str:
        return f"{self.rounded().amount} {self.currency}"


def total(amounts: list[Money], currency: str) -> Money:
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result


# --- the normalized return (Loop owns customer intent) ------------------------------------


class ReturnOutcome(StrEnum):
    """What the customer chose; drives which documents the ERP gets."""

    REFUND = "refund"  # original tender
    STORE_CREDIT = "store_credit"  # gift card through Loop, liability in the ERP
    EXCHANGE = "exchange"
    KEEP_ITEM = "keep_item"  # returnless refund: money moves, no stock
    DONATE = "donate"


NON_RETURN_OUTCOMES = frozenset({ReturnOutcome.KEEP_ITEM, ReturnOutcome.DONATE})


class Disposition(StrEnum):
    RESTOCK = "restock"
    REFURBISH = "refurbish"
    SCRAP = "scrap"
    RETURN_TO_VENDOR = "return_to_vendor"


class Customer(BaseModel):
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class Address(BaseModel):
    name: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country_code: str | None = None
    phone: str | None = None


class OrderRef(BaseModel):
    """How the ERP order is found: Shopify order name first, then number, then ids."""

    loop_order_id: str | None = None
    order_name: str | None = None
    order_number: str | None = None
    provider_order_id: str | None = None


class ReturnLine(BaseModel):
    """One returned unit (Loop sends one row per unit)."""

    line_item_id: str
    sku: str
    quantity: int = 1
    variant_id: str | None = None
    product_id: str | None = None
    provider_line_item_id: str | None = None
    title: str | None = None
    price: Money
    discount: Money
    tax: Money
    refund: Money | None = None
    reason: str | None = None
    parent_reason: str | None = None
    exchange_variant: str | None = None


class ExchangeItem(BaseModel):
    """A replacement the customer chose in Loop (one row per unit, like returned lines)."""

    sku: str
    quantity: int = 1
    variant_id: str | None = None
    title: str | None = None
    total: Money | None = None
    out_of_stock: bool = False  # Loop's own view at the time; the ERP's is what counts


class LoopTotals(BaseModel):
    """Loop's own figures: compared with the ERP's, never used to post money."""

    return_total: Money
    refund: Money
    gift_card: Money
    handling_fee: Money
    tax: Money
    discount: Money
    exchange_total: Money


class ReturnRequest(BaseModel):
    """A Loop return, normalized. Unknown Loop fields are kept by the adapter, not here."""

    return_id: str
    shop_id: str | None = None
    storefront: str = "default"
    state: str = "open"
    outcome: ReturnOutcome = ReturnOutcome.REFUND
    currency: str
    order: OrderRef
    customer: Customer = Field(default_factory=Customer)
    address: Address = Field(default_factory=Address)
    lines: list[ReturnLine]
    totals: LoopTotals
    exchanges: list[ExchangeItem] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    label_status: str | None = None


class LoopEvent(BaseModel):
    """A Loop webhook (or a sweep's observation) delivered to a return's workflow as a signal."""

    topic: str
    trigger: str
    return_id: str
    received_at: datetime
    digest: str  # sha256 of the raw body: duplicate deliveries carry the same digest
    state: str | None = None
    label_status: str | None = None
    tracking_number: str | None = None
    carrier: str | None = None
    return_request: ReturnRequest | None = None
    actor: str = "loop-webhook"


class ErpEvent(BaseModel):
    """Something the ERP side did to a return (seen by the sweep or an ERP workflow hook)."""

    kind: str = Field(description="ra_closed | review | review_cleared")
    actor: str = "erp"
    document_id: str | None = None
    note: str | None = None


# --- gate inputs (updates sent by people or by the warehouse) -----------------------------


class ReceivedLine(BaseModel):
    line_item_id: str
    quantity: int = Field(default=1, ge=1)


class ReceiptInput(BaseModel):
    actor: str = Field(description="who received the goods (warehouse user or 3PL)")
    lines: list[ReceivedLine] | None = Field(
        default=None, description="received units; omit when everything arrived"
    )
    note: str | None = None


class InspectedLine(BaseModel):
    line_item_id: str
    disposition: Disposition | None = Field(
        default=None, description="restock | refurbish | scrap | return_to_vendor; or a grade"
    )
    grade: str | None = Field(
        default=None, description="inspection grade; maps to a disposition (mapping file)"
    )
    note: str | None = None


class InspectionInput(BaseModel):
    actor: str
    lines: list[InspectedLine] | None = Field(
        default=None, description="per-line disposition; omit to restock every received line"
    )
    damaged: bool = False
    note: str | None = None


class ApprovalInput(BaseModel):
    approver: str = Field(description="the finance approver's identity (email)")
    note: str | None = None


class RejectionInput(BaseModel):
    approver: str
    reason: str


class CancelInput(BaseModel):
    actor: str
    reason: str


class ResolveExceptionInput(BaseModel):
    exception_id: str
    actor: str
    action: str = Field(description="one of the actions the exception kind allows")
    erp_item_id: str | None = None
    erp_order_id: str | None = None
    save_mapping: bool = False
    note: str | None = None


# --- ERP side (the ERP owns stock and money) ----------------------------------------------


class ErpDocumentKind(StrEnum):
    SALES_ORDER = "sales_order"
    RETURN_AUTHORIZATION = "return_authorization"
    ITEM_RECEIPT = "item_receipt"
    CREDIT_MEMO = "credit_memo"
    CUSTOMER_REFUND = "customer_refund"
    INVENTORY_TRANSFER = "inventory_transfer"
    INVENTORY_ADJUSTMENT = "inventory_adjustment"
    VENDOR_RETURN = "vendor_return"
    STORE_CREDIT = "store_credit"  # the ERP's liability for a gift card Loop issued


class ErpOrderLine(BaseModel):
    line: str  # the ERP's line id (NetSuite line numbers are not sequential)
    item_id: str
    sku: str
    quantity: int
    rate: Decimal
    amount: Decimal


class ErpOrder(BaseModel):
    id: str
    tran_id: str | None = None
    customer_id: str
    currency: str
    lines: list[ErpOrderLine]
    ship_to: Address | None = None  # where the order went (the address-mismatch rule)


class ErpDocument(BaseModel):
    kind: ErpDocumentKind
    id: str
    external_id: str
    status: str | None = None
    amount: Money | None = None


class ErpCredit(ErpDocument):
    """A credit memo / credit note: the ERP computed these amounts (tax, discount, shipping)."""

    subtotal: Money
    tax: Money
    discount: Money


class ErpLineRequest(BaseModel):
    order_line: str
    item_id: str
    quantity: int
    reason: str | None = None  # Loop's return reason: Khaos/Prima route stock by it


class ReturnAuthorizationRequest(BaseModel):
    external_id: str
    return_id: str
    order_id: str
    lines: list[ErpLineRequest]
    memo: str | None = None


class ItemReceiptRequest(BaseModel):
    external_id: str
    return_authorization_id: str
    location_id: str
    lines: list[ErpLineRequest]


class CreditRequest(BaseModel):
    external_id: str
    return_authorization_id: str


class RefundRequest(BaseModel):
    external_id: str
    credit_id: str
    customer_id: str
    amount: Money
    payment_method: str | None = None
    # storefront-first: the money already moved at the storefront/marketplace; the ERP records
    # that refund (this reference) against the original order instead of paying it out again
    storefront_refund_reference: str | None = None


class DispositionRequest(BaseModel):
    """Move inspected units out of holding: restock/refurbish transfer, scrap write-off, RTV."""

    external_id: str
    return_id: str
    disposition: Disposition
    item_receipt_id: str
    from_location_id: str
    to_location_id: str | None = None  # restock/refurbish targets; None for scrap and RTV
    lines: list[ErpLineRequest]
    reason: str | None = None


class StoreCreditRequest(BaseModel):
    """Record the liability for store credit Loop issued as a gift card."""

    external_id: str
    credit_id: str
    customer_id: str
    amount: Money
    gift_card_reference: str | None = None


class Availability(BaseModel):
    item_id: str
    available: int
    sellable: bool = True  # NetSuite: not inactive; Khaos: the web-sale flag


class SalesOrderLine(BaseModel):
    item_id: str
    quantity: int = Field(ge=1)
    rate: Decimal = Decimal(0)  # a Loop exchange order is usually zero-value


class SalesOrderRequest(BaseModel):
    """The exchange's replacement order; it exists only after customer and original order do."""

    external_id: str
    return_id: str
    customer_id: str
    original_order_id: str
    currency: str
    lines: list[SalesOrderLine]
    ship_to: Address = Field(default_factory=Address)
    linked_credit_id: str | None = None  # finance sees the credit and the new order as one
    memo: str | None = None


class CloseAuthorizationRequest(BaseModel):
    return_authorization_id: str
    reason: str


class ReviewFlagRequest(BaseModel):
    """Tick the ERP's review flag on a return's RA (Loop flagged the return first)."""

    return_authorization_id: str
    note: str


class ErpReturnState(StrEnum):
    """Where a return's RA stands in the ERP, in words every ERP's statuses map onto."""

    OPEN = "open"  # authorised, nothing received yet
    RECEIVED = "received"  # some or all goods arrived, not credited yet
    CREDITED = "credited"  # the credit is posted
    CLOSED = "closed"  # closed by a person in the ERP (lines closed, nothing more expected)
    CANCELLED = "cancelled"


ERP_ENDED = frozenset({ErpReturnState.CLOSED, ErpReturnState.CANCELLED})


class ErpReturnStatus(BaseModel):
    """One return's RA as the ERP status sweep reads it."""

    return_id: str
    document_id: str
    state: ErpReturnState
    erp_status: str  # the ERP's own words ("B", "Processed", "Cancelled"), for the audit
    review: bool = False  # the ERP's configured review flag is set


class ErpLedgerEntry(BaseModel):
    """One ERP document as reconciliation lists it."""

    kind: ErpDocumentKind
    id: str
    external_id: str | None = None
    return_id: str | None = None  # parsed from external ids of the form loop-<id>-<kind>
    status: str | None = None
    amount: Money | None = None
    created_at: datetime | None = None


# --- workflow configuration, decisions, exceptions and status -----------------------------


class GateSlas(BaseModel):
    """How long each gate may wait before its SLA is breached (then escalation steps follow)."""

    validation: timedelta = timedelta(hours=1)
    receipt: timedelta = timedelta(days=14)
    inspection: timedelta = timedelta(days=2)
    approval: timedelta = timedelta(hours=24)
    exception: timedelta = timedelta(hours=24)


class Escalation(BaseModel):
    """How an overdue case climbs for one owner team: warn, breach, then the team's lead."""

    warn_at: float = Field(default=0.75, gt=0, lt=1)  # share of the SLA before a warning
    lead_after: timedelta = timedelta(hours=24)  # from the breach to the lead's desk
    lead: str | None = None  # who the lead is (a person or a rota), shown on the case


def _default_escalation() -> dict[str, Escalation]:
    return {
        "ops": Escalation(lead_after=timedelta(hours=8)),
        "finance": Escalation(lead_after=timedelta(hours=24)),
        "cx": Escalation(lead_after=timedelta(hours=12)),
    }


class Thresholds(BaseModel):
    """Policy limits for one scope; the most specific matching scope wins, field by field."""

    storefront: str | None = None
    category: str | None = None
    currency: str | None = None
    auto_approve_below: Decimal | None = None
    amount_tolerance: Decimal | None = None

    def matches(self, storefront: str, category: str | None, currency: str) -> bool:
        return (
            (self.storefront is None or self.storefront == storefront)
            and (self.category is None or self.category == category)
            and (self.currency is None or self.currency.upper() == currency.upper())
        )

    def specificity(self) -> int:
        return sum(x is not None for x in (self.storefront, self.category, self.currency))


class SyncDirection(StrEnum):
    """Which side executes the refund; the other records it. One per storefront account."""

    ERP_FIRST = "erp-first"  # cart storefronts: the ERP pays out, Loop/storefront is told
    STOREFRONT_FIRST = "storefront-first"  # marketplaces: paid there, recorded in the ERP


class CustomerHistory(BaseModel):
    """What the store knows of a customer's recent returns (for repeat-returner rules)."""

    returns_in_window: int = 0
    window_days: int = 0
    trusted: bool = False


class ReturnConfig(BaseModel):
    """Policy and wiring a workflow needs, fixed at start so replays see the same values."""

    erp_system: str = "netsuite"
    auto_approve_below: Decimal = Decimal("100")
    amount_tolerance: Decimal = Decimal("0.05")
    holding_location_id: str = "holding"
    refund_payment_method: str | None = None
    finance_approvers: list[str] = Field(default_factory=list)  # empty: anyone may approve
    finance_group_above: Decimal | None = None  # at or above this, only finance_approvers may
    erp_retry_initial: timedelta = timedelta(seconds=1)
    erp_max_attempts: int = 6
    # one attempt of an ERP or Loop call, adapter retries included: how long a crashed
    # worker's call holds its return before the server gives it to another worker
    activity_timeout: timedelta = timedelta(seconds=60)
    notify_customer_when_blocked: bool = True
    # off only where the server cannot register attributes (the time-skipping test server)
    publish_search_attributes: bool = True
    # ERP activities go to their own task queue when set, sized to the ERP account's limit
    erp_task_queue: str | None = None
    # symbolic or real ERP location ids the adapter understands, per disposition
    disposition_locations: dict[str, str] = Field(
        default_factory=lambda: {"restock": "sellable", "refurbish": "refurb"}
    )
    # inspection grade -> disposition, from the mapping file's [dispositions.grades]
    grade_dispositions: dict[str, Disposition] = Field(default_factory=dict)
    slas: GateSlas = Field(default_factory=GateSlas)
    # per kind SLA overrides (kind value -> duration); the taxonomy's default otherwise
    exception_slas: dict[str, timedelta] = Field(default_factory=dict)
    escalation: dict[str, Escalation] = Field(default_factory=_default_escalation)
    thresholds: list[Thresholds] = Field(default_factory=list)
    repeat_returns: int = 3  # this many other returns within the window makes a repeat returner
    repeat_window_days: int = 90
    trusted_customers: list[str] = Field(default_factory=list)  # emails never counted as risky
    sync_direction: SyncDirection = SyncDirection.ERP_FIRST
    sync_directions: dict[str, SyncDirection] = Field(default_factory=dict)  # per storefront

    def limits(self, storefront: str, category: str | None, currency: str) -> Thresholds:
        """The effective thresholds for one return: most specific scope first, then defaults."""
        scoped = sorted(
            (t for t in self.thresholds if t.matches(storefront, category, currency)),
            key=lambda t: -t.specificity(),
        )
        found: dict[str, Any] = {}
        for field in ("auto_approve_below", "amount_tolerance"):
            value = next((getattr(t, field) for t in scoped if getattr(t, field) is not None), None)
            found[field] = value if value is not None else getattr(self, field)
        return Thresholds(storefront=storefront, category=category, currency=currency, **found)

    def direction(self, storefront: str) -> SyncDirection:
        return self.sync_directions.get(storefront, self.sync_direction)


class ReturnStart(BaseModel):
    """Start input: the id is the business key; the return itself arrives as a LoopEvent."""

    return_id: str
    config: ReturnConfig = Field(default_factory=ReturnConfig)


class RefundDecision(BaseModel):
    auto_approved: bool
    rule: str  # which policy rule fired; every decision is traceable
    detail: str
    decided_by: str
    decided_at: datetime


class SlaBreach(BaseModel):
    gate: str
    due_at: datetime
    breached_at: datetime


class Transition(BaseModel):
    """One audit row: who moved the return from where to where, and why."""

    return_id: str
    seq: int  # per-return sequence number: a retried write of the same row is a no-op
    event: str
    from_state: str
    to_state: str
    actor: str
    at: datetime
    detail: dict[str, Any] = Field(default_factory=dict)


class ReturnStatus(BaseModel):
    return_id: str
    state: str
    blocked: bool
    gates_passed: list[str]
    erp_documents: dict[str, ErpDocument]
    breaches: list[SlaBreach]
    open_exceptions: list[ExceptionCase]
    decision: RefundDecision | None = None
    erp_refund_amount: Money | None = None
    loop_refund_amount: Money | None = None
    amount_difference: Money | None = None
    events_seen: int = 0
