"""The return lifecycle as a statechart: the only place that says which move is allowed when.

The workflow drives it. A move the chart does not allow raises TransitionNotAllowed instead of
being applied. While any exception is open the return is blocked: only cancel may move it.
"""

from __future__ import annotations

from statemachine import State, StateMachine
from statemachine.exceptions import TransitionNotAllowed

__all__ = ["FORWARD_EVENTS", "TERMINAL_STATES", "ReturnLifecycle", "TransitionNotAllowed"]


class ReturnLifecycle(StateMachine):
    requested = State(initial=True)
    validated = State()
    authorized = State()
    in_transit = State()
    received = State()
    inspected = State()
    awaiting_approval = State()
    refund_approved = State()
    rejected = State()
    credited = State()
    refunded = State()
    exchanged = State()  # the replacement order exists; the credit pays for it
    closed = State(final=True)
    cancelled = State(final=True)

    validate = requested.to(validated, cond="unblocked")
    authorize = validated.to(authorized, cond="unblocked")
    ship = authorized.to(in_transit, cond="unblocked")
    receive = authorized.to(received, cond="unblocked") | in_transit.to(received, cond="unblocked")
    inspect = received.to(inspected, cond="unblocked")
    # keep-item, donate, returnless refund: money moves, goods never come back
    settle_without_goods = authorized.to(inspected, cond="unblocked")
    request_approval = inspected.to(awaiting_approval, cond="unblocked")
    auto_approve = inspected.to(refund_approved, cond="unblocked")
    approve = awaiting_approval.to(refund_approved, cond="unblocked")
    reject = awaiting_approval.to(rejected)
    credit = refund_approved.to(credited, cond="unblocked")
    refund = credited.to(refunded, cond="unblocked")
    exchange = credited.to(exchanged, cond="unblocked")
    close = refunded.to(closed) | rejected.to(closed) | exchanged.to(closed)
    # finance cancelled a refund that could not sync: the credit stands, no money moved
    abandon_refund = credited.to(closed)
    cancel = (
        requested.to(cancelled)
        | validated.to(cancelled)
        | authorized.to(cancelled)
        | in_transit.to(cancelled)
        | received.to(cancelled)
        | inspected.to(cancelled)
        | awaiting_approval.to(cancelled)
        | refund_approved.to(cancelled)
    )

    def __init__(self, start_value: str | None = None) -> None:
        self.blocked = False
        super().__init__(start_value=start_value)

    def unblocked(self) -> bool:
        return not self.blocked

    @property
    def state(self) -> str:
        return str(self.current_state_value)

    def allows(self, event: str) -> bool:
        """Whether `event` would move the return now (used by update validators)."""
        return event in {e.id for e in self.allowed_events} and (
            not self.blocked or event in _UNGUARDED
        )

    def fire(self, event: str) -> tuple[str, str]:
        """Apply `event`; returns (from, to) or raises TransitionNotAllowed."""
        before = self.state
        if not self.allows(event):
            raise TransitionNotAllowed(getattr(self, event), self.configuration)
        self.send(event)
        return before, self.state


_UNGUARDED = frozenset({"cancel", "reject", "close"})

FORWARD_EVENTS = (
    "validate",
    "authorize",
    "ship",
    "receive",
    "inspect",
    "settle_without_goods",
    "request_approval",
    "auto_approve",
    "approve",
    "credit",
    "refund",
    "exchange",
    "close",
)
TERMINAL_STATES = frozenset({"closed", "cancelled"})
