"""ReturnWorkflow: one Loop return, from request to a credited, refunded and closed return.

Gates (receipt, inspection, approval) are updates with SLA timers beside them; a business
failure opens an exception with an owner and the return waits where it is until a person
resolves it. Nothing passes a gate it did not pass: no refund before receipt and inspection.
"""

from __future__ import annotations

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
    from workflows.lifecycle import TERMINAL_STATES, ReturnLifecycle
    from workflows.model import (
        NON_RETURN_OUTCOMES,
        ApprovalInput,
        CancelInput,
        CreditRequest,
        Disposition,
        ErpCredit,
        ErpDocument,
        ErpLineRequest,
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
        ReturnRequest,
        ReturnStart,
        ReturnStatus,
        SlaBreach,
        Transition,
    )
    from workflows.policy import PolicyFacts, compare_amounts, decide_refund

T = TypeVar("T")

SYSTEM = "system"
_STORE_TIMEOUT = timedelta(seconds=10)
_STORE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)
)
_SEEN_DIGESTS = 256  # duplicate deliveries arrive close together; older digests can go


class _Cancelled(Exception):
    """Unwinds the run when a cancel is accepted; never leaves the workflow."""


def erp_external_id(return_id: str, kind: str) -> str:
    return f"loop-{return_id}-{kind}"


@workflow.defn(name="ReturnWorkflow")
class ReturnWorkflow:
    @workflow.init
    def __init__(self, start: ReturnStart) -> None:
        self.return_id = start.return_id
        self.config: ReturnConfig = start.config
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
                await self._refund()
                await self._loop_action(LoopAction.PROCESS)
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
        lines = self._received_erp_lines(receipt)
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
        self.gates_passed.append("inspection")
        await self._move(
            "inspect",
            inspection.actor,
            {"dispositions": {x.line_item_id: x.disposition.value for x in lines}},
        )

    async def _refund_decision(self) -> bool:
        assert self.request is not None
        self.loop_refund = self._loop_refund_figure()
        verdict = decide_refund(
            PolicyFacts(
                request=self.request,
                refund_amount=self.loop_refund,
                damaged=bool(self.inspection and self.inspection.damaged),
            ),
            self.config,
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
        check = compare_amounts(
            self.loop_refund,
            credit.amount,
            Money(amount=self.config.amount_tolerance, currency=credit.amount.currency),
        )
        self.amount_difference = check.difference
        if not check.within_tolerance:
            await self._open(
                ExceptionKind.AMOUNT_MISMATCH,
                "credit",
                {
                    "loop_refund": str(self.loop_refund),
                    "erp_credit": str(credit.amount),
                    "difference": str(check.difference),
                    "tolerance": str(self.config.amount_tolerance),
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

    async def _refund(self) -> None:
        credit = self.credit
        assert credit is not None and credit.amount is not None and self.validated is not None
        customer_id = self.validated.order.customer_id
        amount = credit.amount
        doc = await self._activity(
            "refund",
            Act.REFUND,
            lambda: RefundRequest(
                external_id=erp_external_id(self.return_id, "rf"),
                credit_id=credit.id,
                customer_id=customer_id,
                amount=amount,
                payment_method=self.config.refund_payment_method,
            ),
            ErpDocument,
        )
        self.docs["customer_refund"] = doc
        await self._move("refund", SYSTEM, {"customer_refund_id": doc.id, "amount": str(amount)})

    async def _loop_action(self, action: LoopAction) -> None:
        await self._activity(
            "loop",
            Act.LOOP_ACTION,
            lambda: LoopActionInput(return_id=self.return_id, action=action),
            bool,
        )

    async def _cancel(self) -> None:
        request = self.cancel_request or CancelInput(actor=SYSTEM, reason="cancelled")
        if self.lc.state in TERMINAL_STATES:
            return
        for case in self._open_cases():
            await self._resolve(
                case, request.actor, Resolution.CANCEL_RETURN.value, {"reason": request.reason}
            )
        await self._move("cancel", request.actor, {"reason": request.reason})

    # --- waiting, exceptions and SLAs -------------------------------------------------------

    async def _wait(
        self,
        gate: str,
        ready: Callable[[], bool],
        sla: timedelta,
        breach_kind: ExceptionKind,
        *,
        open_on_breach: bool = True,
    ) -> None:
        """Wait for `ready` with the gate's SLA beside it: warn, breach, then escalate.

        A breach never proceeds past the gate; it marks the return and opens a non-blocking
        exception for its owner, and the wait goes on. Cancels and late cancels interrupt it.
        """
        started = workflow.now()
        steps = [
            (started + sla * 0.75, "warn"),
            (started + sla, "breach"),
            (started + sla + spec(breach_kind).sla, "escalate"),
        ]
        breach_case: ExceptionCase | None = None
        step = 0
        while True:

            def done() -> bool:
                return ready() or self.cancel_request is not None or self.late_cancel is not None

            timeout = (steps[step][0] - workflow.now()) if step < len(steps) else None
            try:
                if timeout is None or timeout > timedelta(0):
                    await workflow.wait_condition(done, timeout=timeout)
            except TimeoutError:
                pass
            if self.cancel_request is not None:
                if self.lc.allows("cancel"):
                    raise _Cancelled()
                # the return moved past cancel (money moved) while the request waited: a person
                # decides, as for any late cancel; never an illegal move
                self.late_cancel, self.cancel_request = self.cancel_request, None
            if self.late_cancel is not None:
                await self._late_cancel(gate)
                continue
            if ready():
                break
            if step >= len(steps):
                continue
            name = steps[step][1]
            step += 1
            if name == "warn":
                await self._audit(
                    "sla_warning", SYSTEM, {"gate": gate, "due_at": steps[1][0].isoformat()}
                )
            elif name == "breach":
                self.breaches.append(
                    SlaBreach(gate=gate, due_at=steps[1][0], breached_at=workflow.now())
                )
                self._breached_gates.add(gate)
                if open_on_breach:
                    breach_case = await self._open(
                        breach_kind,
                        gate,
                        {"gate": gate, "waiting_since": started.isoformat()},
                        blocking=False,
                    )
                else:
                    self._upsert_search()
            elif breach_case is not None:
                breach_case.escalation_level = 3
                await self._store_exception(breach_case)
                await self._audit(
                    "sla_escalated", SYSTEM, {"gate": gate, "exception_id": breach_case.id}
                )
        self._breached_gates.discard(gate)
        if breach_case is not None and breach_case.status is ExceptionStatus.OPEN:
            await self._resolve(breach_case, SYSTEM, "gate_passed", {"gate": gate})
        elif gate in {b.gate for b in self.breaches}:
            self._upsert_search()

    async def _until_unblocked(self, gate: str) -> None:
        await self._wait(
            gate,
            lambda: not self.lc.blocked,
            self.config.slas.exception,
            ExceptionKind.CUSTOMER_STATUS_BLOCKED,
            open_on_breach=False,
        )

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
                    start_to_close_timeout=timedelta(seconds=60),
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
        if failure == FailureType.UNKNOWN_ITEM and isinstance(cause, ApplicationError):
            skus = list(cause.details[0]) if cause.details else []
            return [(ExceptionKind.SKU_MISMATCH, {**base, "sku": sku}) for sku in skus] or [
                (ExceptionKind.SKU_MISMATCH, base)
            ]
        if name in (Act.CREDIT,):
            return [(ExceptionKind.GL_POSTING_FAILED, base)]
        if name is Act.REFUND:
            kind = ExceptionKind.REFUND_SYNC_FAILED if failure else ExceptionKind.GL_POSTING_FAILED
            return [(kind, base)]
        return [(ExceptionKind.ERP_POSTING_FAILED, base)]

    async def _open(
        self, kind: ExceptionKind, gate: str, evidence: dict[str, Any], *, blocking: bool = True
    ) -> ExceptionCase:
        self._exception_seq += 1
        case = open_case(
            kind, self.return_id, self._exception_seq, workflow.now(), gate, evidence, blocking
        )
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
            known = {line.line_item_id for line in self.request.lines}
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
        elif action is Resolution.CANCEL_RETURN:
            self.cancel_request = CancelInput(
                actor=resolution.actor, reason=resolution.note or "cancelled by resolution"
            )
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
        if resolution.action == Resolution.CANCEL_RETURN and not self.lc.allows("cancel"):
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

    def _received_erp_lines(self, receipt: ReceiptInput) -> list[ErpLineRequest]:
        """ERP lines for the units that arrived (all of them when the receipt names none)."""
        assert self.validated is not None and self.request is not None
        counts: dict[str, int] = {}
        if receipt.lines is None:
            for line in self.request.lines:
                counts[line.line_item_id] = counts.get(line.line_item_id, 0) + line.quantity
        else:
            for got in receipt.lines:
                counts[got.line_item_id] = counts.get(got.line_item_id, 0) + got.quantity
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

    def _disposition_lines(self, inspection: InspectionInput) -> list[DispositionLine]:
        assert self.request is not None
        given = {x.line_item_id: x for x in inspection.lines or []}
        lines = []
        for line in self.request.lines:
            x = given.get(line.line_item_id)
            lines.append(
                DispositionLine(
                    line_item_id=line.line_item_id,
                    disposition=x.disposition if x else Disposition.RESTOCK,
                    grade=x.grade if x else None,
                    note=x.note if x else None,
                )
            )
        return lines

    def _loop_refund_figure(self) -> Money:
        """What Loop says the customer gets back: compared with the ERP's figure, never posted."""
        assert self.request is not None
        totals = self.request.totals
        figure = totals.gift_card if self.request.outcome.value == "store_credit" else totals.refund
        if figure.amount == 0 and totals.return_total.amount > 0:
            figure = totals.return_total - totals.handling_fee
        return figure

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

    async def _best_effort(self, name: Act, arg: Any, *, local: bool = False) -> None:
        """Side messages (customer notes, Loop dispositions): tried a few times, never blocking."""
        retry = RetryPolicy(maximum_attempts=3, non_retryable_error_types=NON_RETRYABLE)
        try:
            if local:
                await workflow.execute_local_activity(
                    name, arg, start_to_close_timeout=_STORE_TIMEOUT, retry_policy=retry
                )
            else:
                await workflow.execute_activity(
                    name, arg, start_to_close_timeout=timedelta(seconds=30), retry_policy=retry
                )
        except ActivityError as err:
            workflow.logger.warning(
                "best-effort %s failed for return %s: %s", name.value, self.return_id, err
            )

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
