"""ReturnWorkflow: one Loop return, from request to a credited, refunded and closed return.

Gates (receipt, inspection, approval) are updates with SLA timers beside them; a business
failure opens an exception with an owner and the return waits where it is until a person
resolves it. Nothing passes a gate it did not pass: no refund before receipt and inspection.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows import search
    from workflows.contracts import (
        NON_RETRYABLE,
        Act,
        CustomerHistoryInput,
        DispositionLine,
        DispositionReport,
        ExceptionRecord,
        FailureType,
        LoopAction,
        LoopActionInput,
        NoteInput,
        ReturnProjection,
        SkuMappingInput,
        TransitionRecord,
        ValidatedReturn,
        ValidateInput,
    )
    from workflows.exceptions import (
        ExceptionCase,
        ExceptionKind,
        ExceptionStatus,
        Resolution,
        check_resolution,
        open_case,
        spec,
    )
    from workflows.exchange import (
        ExchangeOutcome,
        ExchangeResult,
        ExchangeStart,
        exchange_workflow_id,
    )
    from workflows.goods import Goods, loop_figure
    from workflows.lifecycle import TERMINAL_STATES, ReturnLifecycle
    from workflows.model import (
        NON_RETURN_OUTCOMES,
        ApprovalInput,
        CancelInput,
        CloseAuthorizationRequest,
        CreditRequest,
        CustomerHistory,
        Disposition,
        DispositionRequest,
        ErpCredit,
        ErpDocument,
        ErpEvent,
        Escalation,
        InspectedLine,
        InspectionInput,
        ItemReceiptRequest,
        LoopEvent,
        Money,
        ReceiptInput,
        RefundDecision,
        RefundRequest,
        RejectionInput,
        ResolveExceptionInput,
        ReturnAuthorizationRequest,
        ReturnConfig,
        ReturnOutcome,
        ReturnRequest,
        ReturnStart,
        ReturnStatus,
        ReviewFlagRequest,
        SalesOrderLine,
        SlaBreach,
        StoreCreditRequest,
        SyncDirection,
        Transition,
    )
    from workflows.policy import (
        PolicyFacts,
        address_differs,
        compare_amounts,
        decide_refund,
        paid_for,
        repeat_returner,
    )

T = TypeVar("T")

SYSTEM = "system"
LOOP_ACTORS = frozenset({"loop-webhook", "loop-sweep"})  # Loop itself: it already knows
_STORE_TIMEOUT = timedelta(seconds=10)
_STORE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)
)
_SEEN_DIGESTS = 256  # duplicate deliveries arrive close together; older digests can go


class _Cancelled(Exception):
    """Unwinds the run when a cancel is accepted; never leaves the workflow."""


class _StepSkipped(Exception):
    """A person resolved a failed step as done elsewhere or as not wanted (cancel_refund)."""


# Master-data gaps: each becomes its own ops case (never a generic default mapping).
_MAPPING_FAILURES = {
    FailureType.UNMAPPED_CODE.value: ExceptionKind.UNMAPPED_CODE,
    FailureType.UNMAPPED_LOCATION.value: ExceptionKind.UNMAPPED_LOCATION,
    FailureType.PARTIAL_BUNDLE.value: ExceptionKind.PARTIAL_BUNDLE_RETURN,
}

# Resolutions that end a step without it succeeding here: the workflow moves past it.
_SKIPPING = frozenset({Resolution.MARK_DONE, Resolution.CANCEL_REFUND})


def _always(value: T) -> Callable[[], T]:
    return lambda: value


def erp_external_id(return_id: str, kind: str) -> str:
    return f"loop-{return_id}-{kind}"


@workflow.defn(name="ReturnWorkflow")
class ReturnWorkflow:
    @workflow.init
    def __init__(self, start: ReturnStart) -> None:
        self.return_id = start.return_id
        self.config: ReturnConfig = start.config
        # Everything since the walking skeleton (dispositions, refund paths, exchanges, cancels
        # both ways, escalation of blocking cases, bundles, the over-refund guard, customer
        # history, Loop review and early-refund signals) sits behind this one patch, asked
        # once here, before any local activity: a patch asked later can land in a different
        # workflow task on replay than it did live (a worker killed during a local activity
        # shifts the task boundary) and fail the replay. Returns started before it keep the
        # skeleton's behaviour to the end.
        self.release2 = workflow.patched("release-2")
        # Release 3: a review Loop starts is mirrored onto the ERP's review flag, once.
        self.release3 = workflow.patched("release-3")
        self.lc = ReturnLifecycle()
        self.request: ReturnRequest | None = None
        self.validated: ValidatedReturn | None = None
        self.docs: dict[str, ErpDocument] = {}
        self.gates_passed: list[str] = []
        self.breaches: list[SlaBreach] = []
        self.exceptions: dict[str, ExceptionCase] = {}
        self.decision: RefundDecision | None = None
        self.credit: ErpCredit | None = None
        self.loop_refund: Money | None = None
        self.amount_difference: Money | None = None
        self.receipt: ReceiptInput | None = None
        self.inspection: InspectionInput | None = None
        self.approval: ApprovalInput | None = None
        self.rejection: RejectionInput | None = None
        self.cancel_request: CancelInput | None = None
        self.late_cancel: CancelInput | None = None
        self.label_status: str | None = None
        self.restock_signals = 0
        self.events_seen = 0
        self.erp_order_override: str | None = None
        self.item_overrides: dict[str, str] = {}
        self.stamps: dict[str, datetime] = {}
        self._seen: list[str] = []
        self._breached_gates: set[str] = set()
        self._audit_seq = 0
        self._exception_seq = 0
        self._queued: list[tuple[ExceptionKind, str, dict[str, Any], bool]] = []
        self._skipped_gates: set[str] = set()
        self.refund_cancelled = False
        self.refund_path: str | None = None
        self.units: dict[str, int] = {}
        self.in_review = False
        self.sync_direction: SyncDirection | None = None
        self._cancelling = False
        self._ra_closed_in_erp = False
        self._flag_loop = False
        self._flag_erp = False
        self._erp_flag_is_ours = False

    # --- run ------------------------------------------------------------------------------

    @workflow.run
    async def run(self, start: ReturnStart) -> ReturnStatus:
        try:
            await self._obtain_request()
            await self._validate()
            await self._authorize()
            assert self.request is not None
            if self.request.outcome in NON_RETURN_OUTCOMES:
                await self._move("settle_without_goods", SYSTEM, {"outcome": self.request.outcome})
            else:
                await self._receipt_gate()
                await self._inspection_gate()
            if await self._refund_decision():
                await self._credit()
                if not await self._exchange():
                    await self._settle()
                if self.lc.state == "exchanged":
                    await self._move("close", SYSTEM)
                elif self.refund_cancelled:
                    await self._move("abandon_refund", SYSTEM, {"reason": "refund cancelled"})
                else:
                    await self._move("close", SYSTEM)
            else:
                await self._loop_action(LoopAction.CLOSE)
                await self._move("close", SYSTEM, {"reason": "refund rejected"})
        except _Cancelled:
            await self._cancel()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    # --- steps ----------------------------------------------------------------------------

    async def _obtain_request(self) -> None:
        await self._wait(
            "validation",
            lambda: self.events_seen > 0,
            self.config.slas.validation,
            ExceptionKind.ORDER_NOT_FOUND,
            open_on_breach=False,
        )
        if self.request is None:  # first news was not a return payload: ask Loop for the truth
            self.request = await self._activity(
                "validation", Act.LOOP_FETCH, lambda: self.return_id, ReturnRequest
            )
        self._upsert_search()

    async def _validate(self) -> None:
        assert self.request is not None
        request = self.request
        self.validated = await self._activity(
            "validation",
            Act.VALIDATE,
            lambda: ValidateInput(
                request=request,
                erp_order_id=self.erp_order_override,
                item_overrides=dict(self.item_overrides),
            ),
            ValidatedReturn,
        )
        await self._move("validate", SYSTEM, {"erp_order_id": self.validated.order.id})

    async def _authorize(self) -> None:
        assert self.validated is not None
        validated = self.validated
        ra = await self._activity(
            "authorization",
            Act.CREATE_RA,
            lambda: ReturnAuthorizationRequest(
                external_id=erp_external_id(self.return_id, "ra"),
                return_id=self.return_id,
                order_id=validated.order.id,
                lines=validated.lines,
                memo=self._reason_memo(),
            ),
            ErpDocument,
        )
        self.docs["return_authorization"] = ra
        await self._move("authorize", SYSTEM, {"ra_id": ra.id})

    async def _receipt_gate(self) -> None:
        while self.receipt is None:
            await self._wait(
                "receipt",
                lambda: self.receipt is not None or self._shipped_pending(),
                self.config.slas.receipt,
                ExceptionKind.IN_TRANSIT_TOO_LONG,
            )
            if self._shipped_pending():
                await self._move("ship", "loop-webhook", {"label_status": self.label_status})
        receipt = self.receipt
        assert self.validated is not None and receipt is not None
        lines = self._goods().erp_lines(self._received_counts(receipt))
        ra = self.docs["return_authorization"]
        doc = await self._activity(
            "receipt",
            Act.RECEIVE,
            lambda: ItemReceiptRequest(
                external_id=erp_external_id(self.return_id, "ir"),
                return_authorization_id=ra.id,
                location_id=self.config.holding_location_id,
                lines=lines,
            ),
            ErpDocument,
        )
        self.docs["item_receipt"] = doc
        self.gates_passed.append("receipt")
        await self._move(
            "receive", receipt.actor, {"item_receipt_id": doc.id, "note": receipt.note}
        )
        partial = self._goods().partial_bundles(self._received_counts(receipt))
        if partial and self.release2:
            counts = self._received_counts(receipt)
            for split in partial:
                await self._open(
                    ExceptionKind.PARTIAL_BUNDLE_RETURN,
                    "inspection",
                    {
                        "bundle_sku": split.bundle_sku,
                        "received": {
                            c.sku: counts.get(c.line_item_id, 0) for c in split.components
                        },
                        "expected": {c.sku: c.quantity for c in split.components},
                    },
                )
            await self._until_unblocked("inspection")

    async def _inspection_gate(self) -> None:
        await self._wait(
            "inspection",
            lambda: self.inspection is not None,
            self.config.slas.inspection,
            ExceptionKind.RECEIVED_NOT_INSPECTED,
        )
        inspection = self.inspection
        assert inspection is not None and self.request is not None
        lines = self._disposition_lines(inspection)
        await self._best_effort(
            Act.LOOP_DISPOSITIONS,
            DispositionReport(
                return_id=self.return_id,
                actor=inspection.actor,
                lines=lines,
                inspected_at=workflow.now(),
            ),
        )
        if self.release2:
            await self._dispose(lines, inspection)
        self.gates_passed.append("inspection")
        await self._move(
            "inspect",
            inspection.actor,
            {"dispositions": {x.line_item_id: x.disposition.value for x in lines}},
        )

    async def _dispose(self, lines: list[DispositionLine], inspection: InspectionInput) -> None:
        """Move the received units out of holding, one ERP document per disposition."""
        assert self.validated is not None and self.receipt is not None
        received = self._received_counts(self.receipt)
        groups: dict[Disposition, dict[str, int]] = {}
        for line in lines:
            for part, _ in self._goods().parts(line.line_item_id, 1):
                qty = received.pop(part, 0)
                if qty:
                    group = groups.setdefault(line.disposition, {})
                    group[part] = qty
        receipt_doc = self.docs["item_receipt"]
        for disposition, counts in groups.items():
            request = DispositionRequest(
                external_id=erp_external_id(self.return_id, f"dsp-{disposition.value}"),
                return_id=self.return_id,
                disposition=disposition,
                item_receipt_id=receipt_doc.id,
                from_location_id=self.config.holding_location_id,
                to_location_id=self.config.disposition_locations.get(disposition.value),
                lines=self._goods().erp_lines(counts),
                reason=inspection.note or f"returns inspection: {disposition.value}",
            )
            doc = await self._activity("inspection", Act.DISPOSE, _always(request), ErpDocument)
            self.docs[f"disposition_{disposition.value}"] = doc
            self.units[disposition.value] = sum(counts.values())
        self.stamps.setdefault("disposed", workflow.now())

    async def _refund_decision(self) -> bool:
        assert self.request is not None
        self.loop_refund = self._loop_refund_figure()
        facts = PolicyFacts(
            request=self.request,
            refund_amount=self.loop_refund,
            damaged=bool(self.inspection and self.inspection.damaged),
            category=self.validated.category if self.validated else None,
            history=await self._customer_history(),
            address_mismatch=address_differs(
                self.request.address, self.validated.order.ship_to if self.validated else None
            ),
        )
        verdict = decide_refund(facts, self.config)
        if repeat_returner(facts, self.config) is not None:
            await self._open(
                ExceptionKind.HIGH_RISK_CUSTOMER,
                "approval",
                {
                    "returns_in_window": facts.history.returns_in_window,
                    "window_days": facts.history.window_days,
                },
                blocking=False,
            )
        self.decision = RefundDecision(
            auto_approved=verdict.auto_approved,
            rule=verdict.rule,
            detail=verdict.detail,
            decided_by=SYSTEM,
            decided_at=workflow.now(),
        )
        if verdict.auto_approved:
            await self._move("auto_approve", SYSTEM, {"rule": verdict.rule})
            return True
        await self._move("request_approval", SYSTEM, {"rule": verdict.rule})
        await self._wait(
            "approval",
            lambda: self.approval is not None or self.rejection is not None,
            self.config.slas.approval,
            ExceptionKind.APPROVAL_OVERDUE,
        )
        if self.approval is not None:
            self.decision = self.decision.model_copy(
                update={"decided_by": self.approval.approver, "decided_at": workflow.now()}
            )
            self.gates_passed.append("approval")
            await self._move("approve", self.approval.approver, {"note": self.approval.note})
            return True
        assert self.rejection is not None
        self.decision = self.decision.model_copy(
            update={"decided_by": self.rejection.approver, "decided_at": workflow.now()}
        )
        await self._move("reject", self.rejection.approver, {"reason": self.rejection.reason})
        return False

    async def _credit(self) -> None:
        ra = self.docs["return_authorization"]
        credit = await self._activity(
            "credit",
            Act.CREDIT,
            lambda: CreditRequest(
                external_id=erp_external_id(self.return_id, "cm"), return_authorization_id=ra.id
            ),
            ErpCredit,
        )
        self.credit = credit
        self.docs["credit_memo"] = credit
        assert self.loop_refund is not None and credit.amount is not None
        assert self.request is not None
        tolerance = self.config.limits(
            self.request.storefront, self._category(), credit.amount.currency
        ).amount_tolerance
        assert tolerance is not None
        check = compare_amounts(
            self.loop_refund,
            credit.amount,
            Money(amount=tolerance, currency=credit.amount.currency),
        )
        self.amount_difference = check.difference
        ceiling = self._paid_for_returned()
        if ceiling is not None and credit.subtotal.amount > ceiling.amount + tolerance:
            await self._open(
                ExceptionKind.AMOUNT_MISMATCH,
                "credit",
                {
                    "problem": "the ERP credit exceeds what was paid for the returned lines",
                    "erp_subtotal": str(credit.subtotal),
                    "paid_for_lines": str(ceiling),
                },
            )
            await self._until_unblocked("credit")
        elif not check.within_tolerance:
            await self._open(
                ExceptionKind.AMOUNT_MISMATCH,
                "credit",
                {
                    "loop_refund": str(self.loop_refund),
                    "erp_credit": str(credit.amount),
                    "difference": str(check.difference),
                    "tolerance": str(tolerance),
                },
            )
            await self._until_unblocked("credit")
        await self._move(
            "credit",
            SYSTEM,
            {
                "credit_memo_id": credit.id,
                "amount": str(credit.amount),
                "difference": str(check.difference),
            },
        )

    async def _exchange(self) -> bool:
        """An exchange: the child creates the replacement order once stock is confirmed.

        Returns False when there is nothing to exchange or CX chose to refund instead, and the
        return then settles as a refund.
        """
        request, validated, credit = self.request, self.validated, self.credit
        assert request is not None and validated is not None and credit is not None
        if request.outcome is not ReturnOutcome.EXCHANGE or not request.exchanges:
            return False
        if not self.release2:
            return False
        lines: dict[str, int] = {}
        for item in request.exchanges:
            item_id = validated.exchange_items.get(item.sku)
            if item_id is None:
                continue
            lines[item_id] = lines.get(item_id, 0) + item.quantity
        if not lines:
            await self._audit(
                "exchange_items_unresolved", SYSTEM, {"skus": [x.sku for x in request.exchanges]}
            )
            return False
        result = await workflow.execute_child_workflow(
            "ExchangeOrderWorkflow",
            ExchangeStart(
                return_id=self.return_id,
                customer_id=validated.order.customer_id,
                original_order_id=validated.order.id,
                currency=validated.order.currency,
                lines=[SalesOrderLine(item_id=k, quantity=v) for k, v in lines.items()],
                ship_to=request.address,
                linked_credit_id=credit.id,
                config=self.config,
            ),
            id=exchange_workflow_id(self.return_id),
            result_type=ExchangeResult,
        )
        if result.outcome is not ExchangeOutcome.ORDERED or result.sales_order is None:
            await self._audit("exchange_refund_instead", SYSTEM, {"lines": len(result.lines)})
            return False
        self.refund_path = "exchange"
        self.docs["exchange_order"] = result.sales_order
        await self._loop_action(
            LoopAction.PROCESS, {"erp_exchange_order_id": result.sales_order.id}
        )
        await self._move(
            "exchange",
            SYSTEM,
            {
                "sales_order_id": result.sales_order.id,
                "credit_memo_id": credit.id,
                "credit": str(credit.amount) if credit.amount else None,
            },
        )
        return True

    async def _settle(self) -> None:
        """Move the money one way only, as the storefront account is configured, and tell Loop.

        erp-first: the ERP pays out, then Loop is closed without refunding again.
        storefront-first: Loop processes (the storefront refunds), then the ERP records it.
        Store credit: Loop issues the gift card, the ERP records the liability.
        """
        if not self.release2:
            self.refund_path = "original_tender"
            await self._refund()
            await self._loop_action(LoopAction.PROCESS)
            return
        assert self.request is not None
        direction = self.config.direction(self.request.storefront)
        self.sync_direction = direction
        if self.request.outcome is ReturnOutcome.STORE_CREDIT:
            self.refund_path = "store_credit"
            await self._loop_action(LoopAction.PROCESS)
            await self._store_credit()
        elif direction is SyncDirection.STOREFRONT_FIRST:
            self.refund_path = "original_tender"
            await self._loop_action(LoopAction.PROCESS)
            await self._refund(storefront_reference=f"loop-return-{self.return_id}")
        else:
            self.refund_path = "original_tender"
            await self._refund()
            refund = self.docs.get("customer_refund")
            # Loop's close ends the return without a second refund at the storefront
            await self._loop_action(
                LoopAction.CLOSE,
                {"erp_refund_id": refund.id} if refund is not None else {"refund": "cancelled"},
            )

    async def _refund(self, storefront_reference: str | None = None) -> None:
        credit, customer_id = self._credit_to_pay()
        assert credit.amount is not None
        request = RefundRequest(
            external_id=erp_external_id(self.return_id, "rf"),
            credit_id=credit.id,
            customer_id=customer_id,
            amount=credit.amount,
            payment_method=self.config.refund_payment_method,
            storefront_refund_reference=storefront_reference,
        )
        direction = self.sync_direction.value if self.sync_direction else None
        try:
            await self._pay(
                Act.REFUND,
                "customer_refund",
                request,
                {"direction": direction, "storefront_refund": storefront_reference},
            )
        except _StepSkipped:
            self.refund_cancelled = True
            self.refund_path = "none"

    async def _store_credit(self) -> None:
        credit, customer_id = self._credit_to_pay()
        assert credit.amount is not None
        request = StoreCreditRequest(
            external_id=erp_external_id(self.return_id, "sc"),
            credit_id=credit.id,
            customer_id=customer_id,
            amount=credit.amount,
            gift_card_reference=f"loop-return-{self.return_id}",
        )
        await self._pay(Act.STORE_CREDIT, "store_credit", request, {})

    def _credit_to_pay(self) -> tuple[ErpCredit, str]:
        assert self.credit is not None and self.credit.amount is not None
        assert self.validated is not None
        return self.credit, self.validated.order.customer_id

    async def _pay(
        self,
        name: Act,
        key: str,
        request: RefundRequest | StoreCreditRequest,
        detail: dict[str, Any],
    ) -> None:
        """Post the money document for the ERP's credit amount, then move to refunded."""
        doc = await self._activity("refund", name, _always(request), ErpDocument)
        self.docs[key] = doc
        await self._move(
            "refund",
            SYSTEM,
            {
                f"{key}_id": doc.id,
                "amount": str(request.amount),
                "path": self.refund_path,
                **detail,
            },
        )

    async def _loop_action(self, action: LoopAction, details: dict[str, str] | None = None) -> None:
        try:
            await self._activity(
                "loop",
                Act.LOOP_ACTION,
                lambda: LoopActionInput(
                    return_id=self.return_id, action=action, details=details or {}
                ),
                bool,
            )
        except _StepSkipped:
            await self._audit("loop_step_done_elsewhere", SYSTEM, {"action": action.value})

    async def _cancel(self) -> None:
        request = self.cancel_request or CancelInput(actor=SYSTEM, reason="cancelled")
        if self.lc.state in TERMINAL_STATES:
            return
        self._cancelling = True
        for case in self._open_cases():
            await self._resolve(
                case, request.actor, Resolution.CANCEL_RETURN.value, {"reason": request.reason}
            )
        if self.release2:
            await self._cancel_elsewhere(request)
        await self._move("cancel", request.actor, {"reason": request.reason})

    async def _cancel_elsewhere(self, request: CancelInput) -> None:
        """Close the RA nothing arrived against, and tell Loop when the cancel began here.

        Failures are recorded and counted, never allowed to keep a cancelled return open: the
        reconciliation finds an RA left open or a Loop return left active.
        """
        ra = self.docs.get("return_authorization")
        if ra is not None and not self._goods_arrived() and not self._ra_closed_in_erp:
            ok = await self._best_effort(
                Act.CLOSE_RA,
                CloseAuthorizationRequest(return_authorization_id=ra.id, reason=request.reason),
                task_queue=self.config.erp_task_queue,
            )
            await self._audit(
                "erp_ra_closed" if ok else "erp_ra_close_failed", SYSTEM, {"ra_id": ra.id}
            )
        if request.actor not in LOOP_ACTORS and self.request is not None:
            ok = await self._best_effort(
                Act.LOOP_ACTION,
                LoopActionInput(return_id=self.return_id, action=LoopAction.CANCEL),
            )
            await self._audit("loop_cancelled" if ok else "loop_cancel_failed", SYSTEM, {})

    # --- waiting, exceptions and SLAs -------------------------------------------------------

    async def _wait(
        self,
        gate: str,
        ready: Callable[[], bool],
        sla: timedelta,
        breach_kind: ExceptionKind,
        *,
        open_on_breach: bool = True,
        escalate: Callable[[], list[ExceptionCase]] | None = None,
        owner: str | None = None,
    ) -> None:
        """Wait for `ready` with the gate's SLA beside it: warn, breach, then escalate.

        A breach never proceeds past the gate; it marks the return and opens a non-blocking
        exception for its owner, and the wait goes on. The warn share and the lead's delay come
        from the owner team's escalation config. Cancels, late cancels and cases the signal
        handler queued interrupt it.
        """
        started = workflow.now()
        climb = self.config.escalation.get(owner or spec(breach_kind).owner.value, Escalation())
        due = started + sla
        steps = [
            (started + sla * climb.warn_at, "warn"),
            (due, "breach"),
            (due + climb.lead_after, "escalate"),
        ]
        breach_case: ExceptionCase | None = None
        step = 0
        while True:

            def done() -> bool:
                return (
                    ready()
                    or self.cancel_request is not None
                    or self.late_cancel is not None
                    or bool(self._queued)
                )

            timeout = (steps[step][0] - workflow.now()) if step < len(steps) else None
            try:
                if timeout is None or timeout > timedelta(0):
                    await workflow.wait_condition(done, timeout=timeout)
            except TimeoutError:
                pass
            if self.cancel_request is not None and not self._cancelling:
                if self.lc.allows("cancel"):
                    raise _Cancelled()
                # the return moved past cancel (money moved) while the request waited: a person
                # decides, as for any late cancel; never an illegal move
                self.late_cancel, self.cancel_request = self.cancel_request, None
            if self.late_cancel is not None:
                await self._late_cancel(gate)
                continue
            if self._queued:
                await self._open_queued(gate)
                continue
            if ready():
                break
            if step >= len(steps):
                continue
            name = steps[step][1]
            step += 1
            if name == "warn":
                await self._audit("sla_warning", SYSTEM, {"gate": gate, "due_at": due.isoformat()})
            elif name == "breach":
                self.breaches.append(SlaBreach(gate=gate, due_at=due, breached_at=workflow.now()))
                self._breached_gates.add(gate)
                if open_on_breach or (escalate is not None and self.release2):
                    breach_case = await self._open(
                        breach_kind,
                        gate,
                        {"gate": gate, "waiting_since": started.isoformat()},
                        blocking=False,
                        level=2,
                    )
                else:
                    self._upsert_search()
            else:
                cases = [breach_case] if breach_case is not None else []
                if escalate is not None and self.release2:
                    cases += escalate()
                await self._escalate([c for c in cases if c.status is ExceptionStatus.OPEN], climb)
        self._breached_gates.discard(gate)
        if breach_case is not None and breach_case.status is ExceptionStatus.OPEN:
            await self._resolve(breach_case, SYSTEM, "gate_passed", {"gate": gate})
        elif gate in {b.gate for b in self.breaches}:
            self._upsert_search()

    async def _escalate(self, cases: list[ExceptionCase], climb: Escalation) -> None:
        """Past breach by the lead's delay: the owner's lead gets the case."""
        for case in cases:
            if case.escalation_level >= 3:
                continue
            case.escalation_level = 3
            await self._store_exception(case)
            await self._audit(
                "sla_escalated",
                SYSTEM,
                {
                    "gate": case.gate,
                    "exception_id": case.id,
                    "to": climb.lead or f"{case.owner.value} lead",
                },
            )

    async def _until_unblocked(self, gate: str) -> None:
        """Wait out blocking cases with the SLA of the oldest one's kind; past it, CX is told."""
        blocking = sorted((c for c in self._open_cases() if c.blocking), key=lambda c: c.opened_at)
        first = blocking[0] if blocking else None
        await self._wait(
            gate,
            lambda: not self.lc.blocked,
            self._kind_sla(first.kind) if first else self.config.slas.exception,
            ExceptionKind.CUSTOMER_STATUS_BLOCKED,
            open_on_breach=False,
            escalate=lambda: [c for c in self._open_cases() if c.blocking],
            owner=first.owner.value if first else None,
        )

    def _kind_sla(self, kind: ExceptionKind) -> timedelta:
        return self.config.exception_slas.get(kind.value, spec(kind).sla)

    async def _open_queued(self, gate: str) -> None:
        queued, self._queued = self._queued, []
        for kind, where, evidence, blocking in queued:
            await self._open(kind, where or gate, evidence, blocking=blocking)
        if self._flag_loop:  # the ERP flagged it: Loop shows the review too, once
            self._flag_loop = False
            flagged = await self._best_effort(
                Act.LOOP_ACTION, LoopActionInput(return_id=self.return_id, action=LoopAction.FLAG)
            )
            await self._audit("loop_flagged" if flagged else "loop_flag_failed", SYSTEM, {})
        if self._flag_erp:  # Loop flagged it: the ERP's RA shows the review too, once
            self._flag_erp = False
            await self._flag_in_erp()

    async def _flag_in_erp(self) -> None:
        """Tick the RA's review flag; with no RA yet the ERP holds nothing to flag (the hold
        is here). The sweep then sees our own flag and must not echo it back."""
        ra = self.docs.get("return_authorization")
        if ra is None:
            return
        flagged = await self._best_effort(
            Act.FLAG_REVIEW,
            ReviewFlagRequest(return_authorization_id=ra.id, note="flagged for review in Loop"),
            task_queue=self.config.erp_task_queue,
        )
        self._erp_flag_is_ours = self._erp_flag_is_ours or flagged
        await self._audit("erp_flagged" if flagged else "erp_flag_failed", SYSTEM, {"ra_id": ra.id})

    async def _activity(
        self, gate: str, name: Act, make_arg: Callable[[], Any], result_type: type[T]
    ) -> T:
        """Run an activity; a business failure or spent retries opens exceptions and waits.

        Each retry after a resolution rebuilds the argument, so a person's answer (the ERP order
        to use, the item for a SKU) is what the next attempt sends.
        """
        while True:
            try:
                return await workflow.execute_activity(
                    name,
                    make_arg(),
                    result_type=result_type,
                    task_queue=self._queue_for(name),
                    start_to_close_timeout=self.config.activity_timeout,
                    retry_policy=RetryPolicy(
                        initial_interval=self.config.erp_retry_initial,
                        backoff_coefficient=2.0,
                        maximum_interval=timedelta(minutes=1),
                        maximum_attempts=self.config.erp_max_attempts,
                        non_retryable_error_types=NON_RETRYABLE,
                    ),
                )
            except ActivityError as err:
                for kind, evidence in self._classify(gate, name, err):
                    await self._open(kind, gate, evidence)
            await self._until_unblocked(gate)
            if gate in self._skipped_gates:
                self._skipped_gates.discard(gate)
                raise _StepSkipped()

    def _queue_for(self, name: Act) -> str | None:
        """ERP calls may run on their own task queue, sized to the ERP account's limit."""
        return self.config.erp_task_queue if name.value.startswith("erp.") else None

    def _classify(
        self, gate: str, name: Act, err: ActivityError
    ) -> list[tuple[ExceptionKind, dict[str, Any]]]:
        cause = err.cause
        failure = cause.type if isinstance(cause, ApplicationError) else None
        message = str(cause.message if isinstance(cause, ApplicationError) else cause or err)
        base = {"activity": name.value, "error": message[:500]}
        if failure == FailureType.ORDER_NOT_FOUND:
            assert self.request is not None
            return [
                (
                    ExceptionKind.ORDER_NOT_FOUND,
                    {**base, "order_name": self.request.order.order_name},
                )
            ]
        if failure == FailureType.ALREADY_RETURNED:
            assert self.request is not None
            return [
                (
                    ExceptionKind.DUPLICATE_RETURN,
                    {**base, "order_name": self.request.order.order_name},
                )
            ]
        mapped = _MAPPING_FAILURES.get(failure or "")
        if mapped is not None:
            detail = (
                cause.details[0] if isinstance(cause, ApplicationError) and cause.details else {}
            )
            return [(mapped, {**base, **(detail if isinstance(detail, dict) else {})})]
        if failure == FailureType.UNKNOWN_ITEM and isinstance(cause, ApplicationError):
            skus = list(cause.details[0]) if cause.details else []
            return [(ExceptionKind.SKU_MISMATCH, {**base, "sku": sku}) for sku in skus] or [
                (ExceptionKind.SKU_MISMATCH, base)
            ]
        if name in (Act.CREDIT, Act.STORE_CREDIT):
            return [(ExceptionKind.GL_POSTING_FAILED, base)]
        if name is Act.REFUND:
            return [(ExceptionKind.REFUND_SYNC_FAILED, base)]
        if name is Act.LOOP_ACTION:
            return [(ExceptionKind.LOOP_SYNC_FAILED, base)]
        return [(ExceptionKind.ERP_POSTING_FAILED, base)]

    async def _open(
        self,
        kind: ExceptionKind,
        gate: str,
        evidence: dict[str, Any],
        *,
        blocking: bool = True,
        level: int = 0,
    ) -> ExceptionCase:
        self._exception_seq += 1
        case = open_case(
            kind,
            self.return_id,
            self._exception_seq,
            workflow.now(),
            gate,
            evidence,
            blocking,
            sla=self.config.exception_slas.get(kind.value),
        )
        case.escalation_level = level
        self.exceptions[case.id] = case
        self._refresh_blocked()
        await self._store_exception(case)
        await self._audit("exception_opened", SYSTEM, {"exception_id": case.id, "kind": kind.value})
        if blocking and self.config.notify_customer_when_blocked:
            await self._best_effort(
                Act.LOOP_NOTE,
                NoteInput(return_id=self.return_id, content=spec(kind).customer_message),
            )
        return case

    async def _resolve(
        self, case: ExceptionCase, actor: str, resolution: str, detail: dict[str, Any]
    ) -> None:
        case.status = ExceptionStatus.RESOLVED
        case.resolved_at = workflow.now()
        case.resolved_by = actor
        case.resolution = resolution
        case.resolution_detail = detail
        self._refresh_blocked()
        await self._store_exception(case)
        await self._audit(
            "exception_resolved", actor, {"exception_id": case.id, "resolution": resolution}
        )

    async def _late_cancel(self, gate: str) -> None:
        cancel = self.late_cancel
        self.late_cancel = None
        assert cancel is not None
        await self._open(
            ExceptionKind.CANCELLED_AFTER_RECEIPT,
            gate,
            {"reason": cancel.reason, "by": cancel.actor, "state": self.lc.state},
        )

    def _open_cases(self) -> list[ExceptionCase]:
        return [c for c in self.exceptions.values() if c.status is ExceptionStatus.OPEN]

    def _refresh_blocked(self) -> None:
        self.lc.blocked = any(c.blocking for c in self._open_cases())
        self._upsert_search()

    # --- messages ---------------------------------------------------------------------------

    @workflow.signal(
        name="loop_event", description="A Loop webhook or sweep observation (LoopEvent)."
    )
    def loop_event(self, event: LoopEvent) -> None:
        if event.digest in self._seen:
            return
        self._seen = [*self._seen[-(_SEEN_DIGESTS - 1) :], event.digest]
        self.events_seen += 1
        if event.return_request is not None and self.request is None:
            self.request = event.return_request
        if event.label_status:
            self.label_status = event.label_status
        if event.topic == "restock":
            self.restock_signals += 1  # a signal only: stock moves on inspection, never on this
        if self.lc.state not in TERMINAL_STATES and self.release2:
            self._watch_loop_state(event)
        if (
            event.state == "cancelled"
            and self.cancel_request is None
            and self.lc.state not in TERMINAL_STATES
        ):
            cancel = CancelInput(actor=event.actor, reason="cancelled in Loop")
            if self._goods_arrived() or not self.lc.allows("cancel"):
                self.late_cancel = cancel
            else:
                self.cancel_request = cancel

    @workflow.signal(
        name="erp_event",
        description=(
            "The ERP closed the RA, flagged the return for review or cleared that flag: "
            "{kind: ra_closed|review|review_cleared, actor?, note?}"
        ),
    )
    def erp_event(self, event: ErpEvent) -> None:
        """Cancels and review flags from the ERP side, mirrored to Loop once (no ping-pong)."""
        if self.lc.state in TERMINAL_STATES:
            return
        if event.kind == "ra_closed" and self.cancel_request is None:
            self._ra_closed_in_erp = True
            cancel = CancelInput(actor=event.actor, reason=event.note or "RA closed in the ERP")
            if self._goods_arrived() or not self.lc.allows("cancel"):
                self.late_cancel = cancel
            else:
                self.cancel_request = cancel
        elif event.kind == "review_cleared":  # the box is unticked: a later tick is a person's
            self._erp_flag_is_ours = False
        elif event.kind == "review" and not self.in_review and not self._erp_flag_is_ours:
            self.in_review = True
            self._flag_loop = True
            evidence = {"source": "erp", "by": event.actor, "note": event.note}
            self._queued.append((ExceptionKind.MANUAL_REVIEW, "", evidence, True))

    def _watch_loop_state(self, event: LoopEvent) -> None:
        """Loop-side states that need a person: review holds the return; an early refund is
        finance's to check. Each opens once per episode, queued for the waiting gate."""
        if event.state == "review" and not self.in_review:
            self.in_review = True
            self._flag_erp = self.release3
            self._queued.append(
                (ExceptionKind.MANUAL_REVIEW, "", {"source": "loop", "topic": event.topic}, True)
            )
        elif event.state == "open":
            self.in_review = False
        refunded_in_loop = event.state == "closed" or event.topic == "giftcard"
        assert_outcome = self.request.outcome if self.request else None
        if (
            refunded_in_loop
            and assert_outcome not in NON_RETURN_OUTCOMES
            and not self._goods_arrived()
            and not any(k is ExceptionKind.REFUND_BEFORE_RECEIPT for k, *_ in self._queued)
            and not any(
                c.kind is ExceptionKind.REFUND_BEFORE_RECEIPT for c in self.exceptions.values()
            )
        ):
            self._queued.append(
                (
                    ExceptionKind.REFUND_BEFORE_RECEIPT,
                    "",
                    {"loop_state": event.state, "topic": event.topic, "trigger": event.trigger},
                    False,
                )
            )

    @workflow.update(
        name="record_receipt",
        description="Goods arrived: {actor, lines?: [{line_item_id, quantity}], note?}",
    )
    async def record_receipt(self, receipt: ReceiptInput) -> ReturnStatus:
        self.receipt = receipt
        await workflow.wait_condition(
            lambda: "receipt" in self.gates_passed or self.lc.blocked or self._ended()
        )
        return self.status()

    @record_receipt.validator
    def _check_receipt(self, receipt: ReceiptInput) -> None:
        self._require_actor(receipt.actor)
        if self.receipt is not None:
            raise ValueError("receipt already recorded")
        self._require_state({"authorized", "in_transit"}, "record a receipt")
        if self.request is not None:
            known = self._goods().known_line_ids()
            unknown = [x.line_item_id for x in receipt.lines or [] if x.line_item_id not in known]
            if unknown:
                raise ValueError(f"unknown line_item_id(s) {unknown}")

    @workflow.update(
        name="record_inspection",
        description="Inspection done: {actor, lines?: [{line_item_id, disposition, grade?}], "
        "damaged?}",
    )
    async def record_inspection(self, inspection: InspectionInput) -> ReturnStatus:
        self.inspection = inspection
        await workflow.wait_condition(
            lambda: "inspection" in self.gates_passed or self.lc.blocked or self._ended()
        )
        return self.status()

    @record_inspection.validator
    def _check_inspection(self, inspection: InspectionInput) -> None:
        self._require_actor(inspection.actor)
        if self.inspection is not None:
            raise ValueError("inspection already recorded")
        self._require_state({"received"}, "record an inspection")
        grades = self.config.grade_dispositions
        for line in inspection.lines or []:
            if line.disposition is None and (line.grade is None or line.grade not in grades):
                raise ValueError(
                    f"line {line.line_item_id}: give a disposition, or a grade the mapping file "
                    f"maps ({sorted(grades) or 'none mapped'}), not {line.grade!r}"
                )

    @workflow.update(
        name="approve_refund", description="Finance approves the refund: {approver, note?}"
    )
    async def approve_refund(self, approval: ApprovalInput) -> ReturnStatus:
        self.approval = approval
        await workflow.wait_condition(
            lambda: "approval" in self.gates_passed or self.lc.blocked or self._ended()
        )
        return self.status()

    @approve_refund.validator
    def _check_approval(self, approval: ApprovalInput) -> None:
        self._require_actor(approval.approver)
        self._require_state({"awaiting_approval"}, "approve a refund")
        if self.approval is not None or self.rejection is not None:
            raise ValueError("refund already decided")
        limit = self.config.finance_group_above
        group = self.config.finance_approvers
        amount = self.loop_refund.amount if self.loop_refund else None
        if group and limit is not None and amount is not None and amount >= limit:
            if approval.approver.lower() not in {a.lower() for a in group}:
                raise ValueError(
                    f"{approval.approver} is not in the finance group for refunds of {limit}+"
                )

    @workflow.update(
        name="reject_refund", description="Finance rejects the refund: {approver, reason}"
    )
    async def reject_refund(self, rejection: RejectionInput) -> ReturnStatus:
        self.rejection = rejection
        await workflow.wait_condition(lambda: self.lc.state == "rejected" or self._ended())
        return self.status()

    @reject_refund.validator
    def _check_rejection(self, rejection: RejectionInput) -> None:
        self._require_actor(rejection.approver)
        self._require_state({"awaiting_approval"}, "reject a refund")
        if self.approval is not None or self.rejection is not None:
            raise ValueError("refund already decided")
        if not rejection.reason.strip():
            raise ValueError("a rejection needs a reason")

    @workflow.update(
        name="resolve_exception",
        description="Resolve an open exception: {exception_id, actor, action, erp_item_id?, "
        "erp_order_id?, save_mapping?, note?}",
    )
    async def resolve_exception(self, resolution: ResolveExceptionInput) -> ExceptionCase:
        case = self.exceptions[resolution.exception_id]
        detail: dict[str, Any] = {"note": resolution.note} if resolution.note else {}
        action = Resolution(resolution.action)
        if action is Resolution.USE_ERP_ITEM and resolution.erp_item_id:
            sku = str(case.evidence.get("sku", ""))
            self.item_overrides[sku] = resolution.erp_item_id
            detail |= {"sku": sku, "erp_item_id": resolution.erp_item_id}
            if resolution.save_mapping:
                await self._best_effort(
                    Act.STORE_MAPPING,
                    SkuMappingInput(
                        erp_system=self.config.erp_system,
                        sku=sku,
                        erp_item_id=resolution.erp_item_id,
                        saved_by=resolution.actor,
                        note=resolution.note,
                    ),
                    local=True,
                )
        elif action is Resolution.USE_ERP_ORDER and resolution.erp_order_id:
            self.erp_order_override = resolution.erp_order_id
            detail |= {"erp_order_id": resolution.erp_order_id}
        elif action in (Resolution.CANCEL_RETURN, Resolution.CLOSE_AS_DUPLICATE):
            default = (
                "closed as a duplicate return"
                if action is Resolution.CLOSE_AS_DUPLICATE
                else "cancelled by resolution"
            )
            self.cancel_request = CancelInput(
                actor=resolution.actor, reason=resolution.note or default
            )
        elif action in _SKIPPING:
            self._skipped_gates.add(case.gate)
        await self._resolve(case, resolution.actor, action.value, detail)
        return case

    @resolve_exception.validator
    def _check_resolution(self, resolution: ResolveExceptionInput) -> None:
        self._require_actor(resolution.actor)
        case = self.exceptions.get(resolution.exception_id)
        if case is None:
            raise ValueError(f"no exception {resolution.exception_id} on return {self.return_id}")
        problem = check_resolution(
            case, resolution.action, resolution.erp_item_id, resolution.erp_order_id
        )
        if problem:
            raise ValueError(problem)
        if resolution.action in (
            Resolution.CANCEL_RETURN,
            Resolution.CLOSE_AS_DUPLICATE,
        ) and not self.lc.allows("cancel"):
            raise ValueError(f"a return in state {self.lc.state} cannot be cancelled")

    @workflow.update(name="cancel_return", description="Cancel this return: {actor, reason}")
    async def cancel_return(self, cancel: CancelInput) -> ReturnStatus:
        self.cancel_request = cancel
        # a cancel accepted while an ERP write was in flight (the credit memo) may lose the race:
        # once the chart no longer allows cancel, say so instead of waiting forever
        await workflow.wait_condition(lambda: not self.lc.allows("cancel"))
        if self.lc.state != "cancelled":
            if self.cancel_request is cancel:
                self.cancel_request = None
            raise ApplicationError(
                f"the return moved on to {self.lc.state} before the cancel took effect",
                type="CancelTooLate",
                non_retryable=True,
            )
        return self.status()

    @cancel_return.validator
    def _check_cancel(self, cancel: CancelInput) -> None:
        self._require_actor(cancel.actor)
        if not self.lc.allows("cancel"):
            raise ValueError(f"a return in state {self.lc.state} cannot be cancelled")
        if not cancel.reason.strip():
            raise ValueError("a cancel needs a reason")

    @workflow.query(
        name="status", description="State, gates passed, ERP documents, breaches, open exceptions."
    )
    def status(self) -> ReturnStatus:
        return ReturnStatus(
            return_id=self.return_id,
            state=self.lc.state,
            blocked=self.lc.blocked,
            gates_passed=list(self.gates_passed),
            erp_documents=dict(self.docs),
            breaches=list(self.breaches),
            open_exceptions=self._open_cases(),
            decision=self.decision,
            erp_refund_amount=self.credit.amount if self.credit else None,
            loop_refund_amount=self.loop_refund,
            amount_difference=self.amount_difference,
            events_seen=self.events_seen,
        )

    @workflow.query(
        name="exceptions", description="Every exception on this return, open or resolved."
    )
    def all_exceptions(self) -> list[ExceptionCase]:
        return list(self.exceptions.values())

    # --- helpers ------------------------------------------------------------------------------

    def _require_actor(self, actor: str) -> None:
        if not actor or not actor.strip():
            raise ValueError("an actor identity is required")

    def _require_state(self, states: set[str], what: str) -> None:
        if self.lc.state not in states:
            raise ValueError(f"cannot {what} while the return is {self.lc.state}")
        if self.lc.blocked:
            raise ValueError(
                f"cannot {what}: open exceptions block this return; resolve them first"
            )

    def _ended(self) -> bool:
        return self.lc.state in TERMINAL_STATES

    def _shipped_pending(self) -> bool:
        return self.lc.state == "authorized" and self.label_status in {
            "in_transit",
            "out_for_delivery",
            "delivered",
        }

    def _goods_arrived(self) -> bool:
        return "receipt" in self.gates_passed or self.receipt is not None

    def _reason_memo(self) -> str:
        assert self.request is not None
        reasons = sorted({line.reason for line in self.request.lines if line.reason})
        return f"Loop return {self.return_id}: " + ("; ".join(reasons) or "no reason given")

    def _goods(self) -> Goods:
        assert self.request is not None
        return Goods(self.request, self.validated)

    def _received_counts(self, receipt: ReceiptInput) -> dict[str, int]:
        return self._goods().counts(receipt)

    def _disposition_lines(self, inspection: InspectionInput) -> list[DispositionLine]:
        assert self.request is not None
        given = {x.line_item_id: x for x in inspection.lines or []}
        lines = []
        for line in self.request.lines:
            x = given.get(line.line_item_id)
            lines.append(
                DispositionLine(
                    line_item_id=line.line_item_id,
                    disposition=self._disposition_of(x) if x else Disposition.RESTOCK,
                    grade=x.grade if x else None,
                    note=x.note if x else None,
                )
            )
        return lines

    def _disposition_of(self, line: InspectedLine) -> Disposition:
        """The inspector's disposition, or the one the mapping file gives the line's grade."""
        if line.disposition is not None:
            return line.disposition
        assert line.grade is not None  # the validator refused lines with neither
        return self.config.grade_dispositions[line.grade]

    def _paid_for_returned(self) -> Money | None:
        """What the customer paid for the lines on the RA (None before validation or in another
        currency): no credit may exceed it, however many returns the order has."""
        if self.validated is None or not self.release2:
            return None
        order = self.validated.order
        if self.credit is None or self.credit.subtotal.currency != order.currency:
            return None
        return paid_for(order, self.validated.lines)

    def _category(self) -> str | None:
        return self.validated.category if self.validated else None

    def _customer_key(self) -> str | None:
        email = self.request.customer.email if self.request else None
        return hashlib.sha256(email.strip().lower().encode()).hexdigest() if email else None

    async def _customer_history(self) -> CustomerHistory:
        """Recent returns of this customer, from the store (the repeat-returner rule's input)."""
        key = self._customer_key()
        email = (self.request.customer.email or "").strip().lower() if self.request else ""
        trusted = bool(email) and email in {
            c.strip().lower() for c in self.config.trusted_customers
        }
        if key is None or not self.release2:
            return CustomerHistory(trusted=trusted)
        return await workflow.execute_local_activity(
            Act.STORE_CUSTOMER_HISTORY,
            CustomerHistoryInput(
                return_id=self.return_id,
                customer_key=key,
                since=workflow.now() - timedelta(days=self.config.repeat_window_days),
                window_days=self.config.repeat_window_days,
                trusted=trusted,
            ),
            result_type=CustomerHistory,
            start_to_close_timeout=_STORE_TIMEOUT,
            retry_policy=_STORE_RETRY,
        )

    def _loop_refund_figure(self) -> Money:
        """Loop's figure: for the units that arrived when only some did (the ERP credits what
        was received, so the whole return's figure would always disagree)."""
        assert self.request is not None
        partial = self._partial_figure()
        return partial if partial is not None else loop_figure(self.request)

    def _partial_figure(self) -> Money | None:
        receipt = self.receipt
        if receipt is None or receipt.lines is None:
            return None
        goods = self._goods()
        counts = goods.counts(receipt)
        if goods.all_received(counts) or not goods.has_unit_refunds():
            return None
        if not self.release2:
            return None
        return goods.received_figure(counts)

    def _projection(self) -> ReturnProjection:
        request = self.request
        return ReturnProjection(
            state=self.lc.state,
            blocked=self.lc.blocked,
            storefront=request.storefront if request else None,
            erp_system=self.config.erp_system,
            outcome=request.outcome.value if request else None,
            currency=request.currency if request else None,
            category=self.validated.category if self.validated else None,
            loop_refund_amount=self.loop_refund.amount if self.loop_refund else None,
            erp_refund_amount=self.credit.amount.amount
            if self.credit and self.credit.amount
            else None,
            amount_difference=self.amount_difference.amount if self.amount_difference else None,
            auto_approved=self.decision.auto_approved if self.decision else None,
            decision_rule=self.decision.rule if self.decision else None,
            created_at=(request.created_at if request and request.created_at else None)
            or self.stamps.get("requested"),
            updated_at=workflow.now(),
            received_at=self.stamps.get("received"),
            inspected_at=self.stamps.get("inspected"),
            refunded_at=self.stamps.get("refunded"),
            closed_at=self.stamps.get("closed"),
            cancelled_at=self.stamps.get("cancelled"),
            sla_breached=bool(self._breached_gates),
            stuck_since=self._stuck_since(),
            open_exception_count=len(self._open_cases()),
            units_received=sum(self._received_counts(self.receipt).values())
            if self.receipt and "receipt" in self.gates_passed
            else None,
            units_restocked=self.units.get(Disposition.RESTOCK.value),
            units_refurbished=self.units.get(Disposition.REFURBISH.value),
            units_scrapped=self.units.get(Disposition.SCRAP.value),
            units_returned_to_vendor=self.units.get(Disposition.RETURN_TO_VENDOR.value),
            disposed_at=self.stamps.get("disposed"),
            refund_path=self.refund_path,
            sync_direction=self.sync_direction.value if self.sync_direction else None,
            customer_key=self._customer_key(),
        )

    def _stuck_since(self) -> datetime | None:
        cases = self._open_cases()
        return min(c.opened_at for c in cases) if cases else None

    async def _move(self, event: str, actor: str, detail: dict[str, Any] | None = None) -> None:
        before, after = self.lc.fire(event)
        self.stamps.setdefault(after, workflow.now())
        await self._record(event, before, after, actor, detail or {})
        self._upsert_search()

    async def _audit(self, event: str, actor: str, detail: dict[str, Any]) -> None:
        await self._record(event, self.lc.state, self.lc.state, actor, detail)

    async def _record(
        self, event: str, before: str, after: str, actor: str, detail: dict[str, Any]
    ) -> None:
        self._audit_seq += 1
        transition = Transition(
            return_id=self.return_id,
            seq=self._audit_seq,
            event=event,
            from_state=before,
            to_state=after,
            actor=actor,
            at=workflow.now(),
            detail={k: v for k, v in detail.items() if v is not None},
        )
        await self._store(
            Act.STORE_TRANSITION,
            TransitionRecord(transition=transition, projection=self._projection()),
        )

    async def _store_exception(self, case: ExceptionCase) -> None:
        await self._store(
            Act.STORE_EXCEPTION, ExceptionRecord(case=case, projection=self._projection())
        )

    async def _store(self, name: Act, arg: Any) -> None:
        """Projection writes are local activities: cheap in history, retried until they land."""
        await workflow.execute_local_activity(
            name, arg, start_to_close_timeout=_STORE_TIMEOUT, retry_policy=_STORE_RETRY
        )

    async def _best_effort(
        self, name: Act, arg: Any, *, local: bool = False, task_queue: str | None = None
    ) -> bool:
        """Side messages (customer notes, Loop dispositions): tried a few times, never blocking."""
        retry = RetryPolicy(maximum_attempts=3, non_retryable_error_types=NON_RETRYABLE)
        try:
            if local:
                await workflow.execute_local_activity(
                    name, arg, start_to_close_timeout=_STORE_TIMEOUT, retry_policy=retry
                )
            else:
                await workflow.execute_activity(
                    name,
                    arg,
                    task_queue=task_queue,
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=retry,
                )
        except ActivityError as err:
            workflow.logger.warning(
                "best-effort %s failed for return %s: %s", name.value, self.return_id, err
            )
            return False
        return True

    def _upsert_search(self) -> None:
        if not self.config.publish_search_attributes:
            return
        cases = sorted(self._open_cases(), key=lambda c: (not c.blocking, c.opened_at))
        updates: list[SearchAttributeUpdate[Any]] = [
            search.RETURN_STATE.value_set(self.lc.state),
            search.OPEN_EXCEPTION_KINDS.value_set(sorted({c.kind.value for c in cases})),
            search.SLA_BREACHED.value_set(bool(self._breached_gates)),
            search.ERP_SYSTEM.value_set(self.config.erp_system),
            # the team that must act first: the owner of the oldest blocking case
            search.OWNER_TEAM.value_set(cases[0].owner.value)
            if cases
            else search.OWNER_TEAM.value_unset(),
        ]
        stuck = self._stuck_since()
        updates.append(
            search.STUCK_SINCE.value_set(stuck) if stuck else search.STUCK_SINCE.value_unset()
        )
        workflow.upsert_search_attributes(updates)
