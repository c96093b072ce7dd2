"""ExchangeOrderWorkflow: the replacement sales order of an exchange, once stock is confirmed.

A child of ReturnWorkflow with id `exchange-<return id>`. It checks availability at the ERP's
sellable location (and the web-sale flag), and creates the sales order only when every line is
available and sellable. Otherwise CX gets an `exchange_blocked` case and chooses, through the
`choose_exchange_option` update: `wait` (availability is re-checked on a timer), `other_variant`
(ship another item), `refund_instead` (the child ends and tells the parent to refund), or
`retry` (check again now). The ERP adapter refuses to create the order before its customer and
original order exist; those refusals are retried for `prerequisite_wait`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, Field

    from workflows import search
    from workflows.contracts import NON_RETRYABLE, Act, ExceptionRecord, NoteInput
    from workflows.exceptions import (
        ExceptionCase,
        ExceptionKind,
        ExceptionStatus,
        Resolution,
        check_resolution,
        open_case,
        spec,
    )
    from workflows.model import (
        Address,
        Availability,
        ErpDocument,
        ReturnConfig,
        SalesOrderLine,
        SalesOrderRequest,
    )

T = TypeVar("T")
SYSTEM = "system"
_STORE_TIMEOUT = timedelta(seconds=10)
_STORE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)
)


def exchange_workflow_id(return_id: str) -> str:
    return f"exchange-{return_id}"


class ExchangeStart(BaseModel):
    return_id: str
    customer_id: str  # the ERP customer of the original order
    original_order_id: str  # the ERP sales order the return came from
    currency: str
    lines: list[SalesOrderLine] = Field(min_length=1)
    ship_to: Address = Field(default_factory=Address)
    linked_credit_id: str | None = None  # the return's credit: finance sees one transaction
    config: ReturnConfig = Field(default_factory=ReturnConfig)
    recheck_every: timedelta = timedelta(hours=4)  # after `wait`: how often stock is re-checked
    prerequisite_wait: timedelta = timedelta(hours=1)  # how long the order may wait for its
    # customer and original order to exist before ops get an erp_posting_failed case


class ExchangeOutcome(StrEnum):
    ORDERED = "ordered"
    REFUND_INSTEAD = "refund_instead"  # the parent refunds the credit instead


class ExchangeChoice(BaseModel):
    actor: str
    option: str = Field(description="wait | other_variant | refund_instead | retry")
    item_id: str | None = Field(default=None, description="other_variant: the ERP item to ship")
    replaces: str | None = Field(
        default=None, description="other_variant: the blocked item it replaces (default: first)"
    )
    note: str | None = None


class ExchangeStatus(BaseModel):
    return_id: str
    # checking | blocked | waiting | applying | erp_failed | ordering | ordered | refund_instead
    state: str
    lines: list[SalesOrderLine]
    blocked: list[Availability]
    open_exception: ExceptionCase | None = None
    sales_order: ErpDocument | None = None


class ExchangeResult(BaseModel):
    return_id: str
    outcome: ExchangeOutcome
    lines: list[SalesOrderLine]
    sales_order: ErpDocument | None = None
    linked_credit_id: str | None = None
    exceptions: list[ExceptionCase] = Field(default_factory=list)


def blocked_lines(lines: list[SalesOrderLine], found: list[Availability]) -> list[Availability]:
    """The lines' availabilities that stop the order: not sellable, or fewer units than asked."""
    wanted: dict[str, int] = {}
    for line in lines:
        wanted[line.item_id] = wanted.get(line.item_id, 0) + line.quantity
    by_item = {a.item_id: a for a in found}
    missing = Availability(item_id="", available=0, sellable=False)
    return [
        by_item.get(item, missing.model_copy(update={"item_id": item}))
        for item, qty in wanted.items()
        if not by_item.get(item, missing).sellable or by_item.get(item, missing).available < qty
    ]


@workflow.defn(name="ExchangeOrderWorkflow")
class ExchangeOrderWorkflow:
    @workflow.init
    def __init__(self, start: ExchangeStart) -> None:
        self.start = start
        self.config = start.config
        self.lines = list(start.lines)
        self.state = "checking"
        self.blocked: list[Availability] = []
        self.case: ExceptionCase | None = None
        self.cases: list[ExceptionCase] = []
        self.choice: ExchangeChoice | None = None
        self.choices_taken = 0
        self.waiting = False
        self.sales_order: ErpDocument | None = None
        # who chose `wait`/`retry` on the open case: it resolves in their name once stock is there
        self._chosen: tuple[str, Resolution] = (SYSTEM, Resolution.RETRY)

    @workflow.run
    async def run(self, start: ExchangeStart) -> ExchangeResult:
        outcome = await self._exchange()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return ExchangeResult(
            return_id=start.return_id,
            outcome=outcome,
            lines=list(self.lines),
            sales_order=self.sales_order,
            linked_credit_id=start.linked_credit_id,
            exceptions=list(self.cases),
        )

    async def _exchange(self) -> ExchangeOutcome:
        while True:
            self.state = "checking"
            found = await self._erp(
                Act.AVAILABILITY, lambda: [line.item_id for line in self.lines], list[Availability]
            )
            self.blocked = blocked_lines(self.lines, found)
            if not self.blocked:
                break
            await self._block()
            self.state = "waiting" if self.waiting else "blocked"
            choice = await self._next_choice(self.start.recheck_every if self.waiting else None)
            if choice is None:  # the re-check timer fired
                continue
            option = Resolution(choice.option)
            if option is Resolution.REFUND_INSTEAD:
                await self._resolve(choice.actor, option, {"note": choice.note})
                self.state = "refund_instead"
                return ExchangeOutcome.REFUND_INSTEAD
            if option is Resolution.OTHER_VARIANT:
                replaced = self._replace(choice)
                await self._resolve(
                    choice.actor, option, {"replaced": replaced, "item_id": choice.item_id}
                )
            else:  # wait (re-check on the timer) or retry (re-check now)
                self.waiting = option is Resolution.WAIT
                self._chosen = (choice.actor, option)
        if self.case is not None:  # stock arrived while CX waited
            actor, option = self._chosen
            await self._resolve(actor, option, {"available": True})
        self.state = "ordering"
        self.sales_order = await self._erp(
            Act.SALES_ORDER, self._order_request, ErpDocument, patient=True
        )
        self.state = "ordered"
        return ExchangeOutcome.ORDERED

    # --- steps ----------------------------------------------------------------------------

    def _order_request(self) -> SalesOrderRequest:
        start = self.start
        return SalesOrderRequest(
            external_id=f"loop-{start.return_id}-so",
            return_id=start.return_id,
            customer_id=start.customer_id,
            original_order_id=start.original_order_id,
            currency=start.currency,
            lines=list(self.lines),
            ship_to=start.ship_to,
            linked_credit_id=start.linked_credit_id,
        )

    def _replace(self, choice: ExchangeChoice) -> str:
        """Swap the blocked item for the chosen one, keeping quantity and rate."""
        assert choice.item_id is not None
        old = choice.replaces or self.blocked[0].item_id
        self.lines = [
            line.model_copy(update={"item_id": choice.item_id}) if line.item_id == old else line
            for line in self.lines
        ]
        return old

    async def _block(self) -> None:
        evidence = {
            "items": [
                {"item_id": a.item_id, "available": a.available, "sellable": a.sellable}
                for a in self.blocked
            ],
            "wanted": {line.item_id: line.quantity for line in self.lines},
        }
        if self.case is not None and self.case.kind is ExceptionKind.EXCHANGE_BLOCKED:
            if self.case.evidence != evidence:  # still blocked, for other reasons now
                self.case.evidence = evidence
                await self._store_exception(self.case)
            return
        await self._open(ExceptionKind.EXCHANGE_BLOCKED, evidence)

    async def _erp(
        self, name: Act, make_arg: Callable[[], Any], result_type: type[T], *, patient: bool = False
    ) -> T:
        """Run an ERP activity; when its retries are spent, ops get a case and `retry` it.

        `patient` (the sales order): retried until `prerequisite_wait` has passed, because the
        adapter refuses it, retryably, until the customer and original order exist.
        """
        retry = RetryPolicy(
            initial_interval=self.config.erp_retry_initial,
            backoff_coefficient=2.0,
            maximum_interval=timedelta(minutes=1),
            maximum_attempts=0 if patient else self.config.erp_max_attempts,
            non_retryable_error_types=NON_RETRYABLE,
        )
        while True:
            try:
                return await workflow.execute_activity(
                    name,
                    make_arg(),
                    result_type=result_type,
                    task_queue=self.config.erp_task_queue,
                    start_to_close_timeout=timedelta(seconds=60),
                    schedule_to_close_timeout=self.start.prerequisite_wait if patient else None,
                    retry_policy=retry,
                )
            except ActivityError as err:
                cause = err.cause
                message = str(cause.message if isinstance(cause, ApplicationError) else cause)
                # a blocked case stays open while ops deal with the ERP
                held, waiting, previous = self.case, self.waiting, self.state
                self.state = "erp_failed"
                await self._open(
                    ExceptionKind.ERP_POSTING_FAILED,
                    {"activity": name.value, "error": message[:500]},
                )
                choice = await self._next_choice(None)
                assert choice is not None
                await self._resolve(choice.actor, Resolution(choice.option), {"note": choice.note})
                self.case, self.waiting, self.state = held, waiting, previous
                self._upsert_search()

    async def _next_choice(self, recheck: timedelta | None) -> ExchangeChoice | None:
        """The next choice made on the open case; None when `recheck` passes first."""
        try:
            await workflow.wait_condition(lambda: self.choice is not None, timeout=recheck)
        except TimeoutError:
            return None
        choice, self.choice = self.choice, None
        self.choices_taken += 1
        self.state = "applying"  # the choice's update answers once the exchange settles again
        return choice

    # --- exceptions (stored through the same local activity as the return's) ----------------

    async def _open(self, kind: ExceptionKind, evidence: dict[str, Any]) -> None:
        seq = len(self.cases) + 1
        case = open_case(kind, self.start.return_id, seq, workflow.now(), "exchange", evidence)
        case = case.model_copy(
            update={"id": f"{exchange_workflow_id(self.start.return_id)}-x{seq}"}
        )
        self.case = case
        self.cases.append(case)
        self.waiting = False
        await self._store_exception(case)
        self._upsert_search()
        if self.config.notify_customer_when_blocked and kind is ExceptionKind.EXCHANGE_BLOCKED:
            await self._best_effort(
                Act.LOOP_NOTE,
                NoteInput(return_id=self.start.return_id, content=spec(kind).customer_message),
            )

    async def _resolve(self, actor: str, resolution: Resolution, detail: dict[str, Any]) -> None:
        case = self.case
        assert case is not None
        case.status = ExceptionStatus.RESOLVED
        case.resolved_at = workflow.now()
        case.resolved_by = actor
        case.resolution = resolution.value
        case.resolution_detail = {k: v for k, v in detail.items() if v is not None}
        self.case = None
        self.waiting = False
        await self._store_exception(case)
        self._upsert_search()

    async def _store_exception(self, case: ExceptionCase) -> None:
        # no projection: the return's row belongs to the return workflow
        await workflow.execute_local_activity(
            Act.STORE_EXCEPTION,
            ExceptionRecord(case=case),
            start_to_close_timeout=_STORE_TIMEOUT,
            retry_policy=_STORE_RETRY,
        )

    async def _best_effort(self, name: Act, arg: Any) -> None:
        retry = RetryPolicy(maximum_attempts=3, non_retryable_error_types=NON_RETRYABLE)
        try:
            await workflow.execute_activity(
                name, arg, start_to_close_timeout=timedelta(seconds=30), retry_policy=retry
            )
        except ActivityError as err:
            workflow.logger.warning("best-effort %s failed: %s", name.value, err)

    def _upsert_search(self) -> None:
        if not self.config.publish_search_attributes:
            return
        case = self.case
        updates: list[SearchAttributeUpdate[Any]] = [
            search.OPEN_EXCEPTION_KINDS.value_set([case.kind.value] if case else []),
            search.OWNER_TEAM.value_set(case.owner.value)
            if case
            else search.OWNER_TEAM.value_unset(),
            search.ERP_SYSTEM.value_set(self.config.erp_system),
        ]
        workflow.upsert_search_attributes(updates)

    # --- messages -------------------------------------------------------------------------

    @workflow.update(
        name="choose_exchange_option",
        description="CX answers a blocked exchange: {actor, option: wait | other_variant | "
        "refund_instead | retry, item_id? (other_variant), replaces?, note?}",
    )
    async def choose_exchange_option(self, choice: ExchangeChoice) -> ExchangeStatus:
        self.choice = choice
        taken = self.choices_taken
        settled = {"blocked", "waiting", "erp_failed", "ordered", "refund_instead"}
        await workflow.wait_condition(lambda: self.choices_taken > taken and self.state in settled)
        return self.status()

    @choose_exchange_option.validator
    def _check_choice(self, choice: ExchangeChoice) -> None:
        if not choice.actor.strip():
            raise ValueError("an actor identity is required")
        if self.case is None:
            raise ValueError(f"the exchange is not waiting for a choice (it is {self.state})")
        if self.choice is not None:
            raise ValueError("another choice is being applied; try again")
        if choice.option == Resolution.CANCEL_RETURN:
            raise ValueError("cancel the return on its return workflow, not on the exchange")
        problem = check_resolution(self.case, choice.option, choice.item_id, None)
        if problem:
            raise ValueError(problem)
        blocked = {a.item_id for a in self.blocked}
        if choice.option == Resolution.OTHER_VARIANT and choice.replaces not in (None, *blocked):
            raise ValueError(f"{choice.replaces} is not a blocked item ({sorted(blocked)})")

    @workflow.query(name="status", description="State, lines, blocked items, open exception.")
    def status(self) -> ExchangeStatus:
        return ExchangeStatus(
            return_id=self.start.return_id,
            state=self.state,
            lines=list(self.lines),
            blocked=list(self.blocked),
            open_exception=self.case,
            sales_order=self.sales_order,
        )
