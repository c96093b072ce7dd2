"""The statechart: which moves are allowed when, and which are refused (TransitionNotAllowed)."""

from __future__ import annotations

import pytest
from hypothesis import event as hypothesis_event
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.lifecycle import (
    FORWARD_EVENTS,
    TERMINAL_STATES,
    ReturnLifecycle,
    TransitionNotAllowed,
)

ALL_EVENTS = tuple(e.id for e in ReturnLifecycle.events)
ALL_STATES = tuple(s.id for s in ReturnLifecycle.states)
UNGUARDED = frozenset({"cancel", "reject", "close"})
CANCELLABLE = (
    "requested",
    "validated",
    "authorized",
    "in_transit",
    "received",
    "inspected",
    "awaiting_approval",
    "refund_approved",
)
NOT_CANCELLABLE = tuple(s for s in ALL_STATES if s not in CANCELLABLE)

FULL_REFUND = (
    ("validate", "validated"),
    ("authorize", "authorized"),
    ("ship", "in_transit"),
    ("receive", "received"),
    ("inspect", "inspected"),
    ("request_approval", "awaiting_approval"),
    ("approve", "refund_approved"),
    ("credit", "credited"),
    ("refund", "refunded"),
    ("close", "closed"),
)


def run(events: list[str] | tuple[str, ...], start: str | None = None) -> ReturnLifecycle:
    chart = ReturnLifecycle(start_value=start)
    for event in events:
        chart.fire(event)
    return chart


def test_the_chart_has_the_states_and_events_the_docs_name() -> None:
    assert set(ALL_STATES) == {
        "requested", "validated", "authorized", "in_transit", "received", "inspected",
        "awaiting_approval", "refund_approved", "rejected", "credited", "refunded", "exchanged",
        "closed", "cancelled",
    }  # fmt: skip
    assert set(ALL_EVENTS) == {*FORWARD_EVENTS, "reject", "cancel", "abandon_refund"}
    assert TERMINAL_STATES == {"closed", "cancelled"}
    assert {s.id for s in ReturnLifecycle.states if s.final} == TERMINAL_STATES
    assert ReturnLifecycle().state == "requested"


# --- allowed paths ------------------------------------------------------------------------


def test_full_refund_path_with_manual_approval() -> None:
    chart = ReturnLifecycle()
    for event, expected in FULL_REFUND:
        before = chart.state
        assert chart.fire(event) == (before, expected)
    assert chart.state == "closed"


def test_refund_path_with_auto_approval_and_receipt_without_a_scan() -> None:
    chart = run(["validate", "authorize", "receive", "inspect", "auto_approve", "credit"])
    assert chart.state == "credited"
    assert run(["refund", "close"], start="credited").state == "closed"


def test_non_return_outcome_settles_without_goods() -> None:
    chart = run(["validate", "authorize", "settle_without_goods"])
    assert chart.state == "inspected"
    for event in ("auto_approve", "credit", "refund", "close"):
        chart.fire(event)
    assert chart.state == "closed"


def test_reject_path_closes_without_credit_or_refund() -> None:
    chart = run(["validate", "authorize", "receive", "inspect", "request_approval"])
    assert chart.fire("reject") == ("awaiting_approval", "rejected")
    assert not chart.allows("credit") and not chart.allows("refund")
    assert chart.fire("close") == ("rejected", "closed")


@pytest.mark.parametrize("state", CANCELLABLE)
def test_cancel_from_each_allowed_state(state: str) -> None:
    chart = ReturnLifecycle(start_value=state)
    assert chart.fire("cancel") == (state, "cancelled")


@pytest.mark.parametrize("state", CANCELLABLE)
def test_cancel_is_allowed_while_blocked(state: str) -> None:
    chart = ReturnLifecycle(start_value=state)
    chart.blocked = True
    assert chart.allows("cancel")
    assert chart.fire("cancel") == (state, "cancelled")


def test_reject_and_close_are_allowed_while_blocked() -> None:
    chart = ReturnLifecycle(start_value="awaiting_approval")
    chart.blocked = True
    assert chart.fire("reject") == ("awaiting_approval", "rejected")
    assert chart.fire("close") == ("rejected", "closed")
    refunded = ReturnLifecycle(start_value="refunded")
    refunded.blocked = True
    assert refunded.fire("close") == ("refunded", "closed")


def test_unblocking_lets_the_return_move_again() -> None:
    chart = ReturnLifecycle(start_value="received")
    chart.blocked = True
    with pytest.raises(TransitionNotAllowed):
        chart.fire("inspect")
    chart.blocked = False
    assert chart.fire("inspect") == ("received", "inspected")


# --- refused transitions ------------------------------------------------------------------


def refused(chart: ReturnLifecycle, event: str) -> None:
    before = chart.state
    assert not chart.allows(event)
    with pytest.raises(TransitionNotAllowed):
        chart.fire(event)
    assert chart.state == before, "a refused move must leave the state alone"


@pytest.mark.parametrize(
    "state",
    ["requested", "validated", "authorized", "in_transit", "received", "inspected",
     "awaiting_approval", "refund_approved"],
)  # fmt: skip
def test_no_refund_before_receipt_inspection_approval_and_credit(state: str) -> None:
    refused(ReturnLifecycle(start_value=state), "refund")


@pytest.mark.parametrize(
    "state", ["requested", "validated", "authorized", "in_transit", "received"]
)
def test_no_credit_before_inspection_and_approval(state: str) -> None:
    refused(ReturnLifecycle(start_value=state), "credit")


@pytest.mark.parametrize("state", ["requested", "validated"])
def test_no_receipt_before_authorization(state: str) -> None:
    refused(ReturnLifecycle(start_value=state), "receive")


@pytest.mark.parametrize("state", ["authorized", "in_transit"])
def test_no_inspection_before_receipt(state: str) -> None:
    refused(ReturnLifecycle(start_value=state), "inspect")


@pytest.mark.parametrize("state", ["in_transit", "received", "requested", "validated"])
def test_settle_without_goods_only_from_authorized(state: str) -> None:
    refused(ReturnLifecycle(start_value=state), "settle_without_goods")


def test_no_approval_without_a_request_for_it() -> None:
    refused(ReturnLifecycle(start_value="inspected"), "approve")
    refused(ReturnLifecycle(start_value="inspected"), "reject")


def test_no_skipping_the_gates_from_the_start() -> None:
    chart = ReturnLifecycle()
    for event in ALL_EVENTS:
        if event not in {"validate", "cancel"}:
            refused(chart, event)


@pytest.mark.parametrize("state", [s for s in ALL_STATES if s not in TERMINAL_STATES])
def test_blocked_refuses_everything_but_cancel_reject_close(state: str) -> None:
    chart = ReturnLifecycle(start_value=state)
    chart.blocked = True
    for event in ALL_EVENTS:
        if event not in UNGUARDED:
            refused(chart, event)


@pytest.mark.parametrize("state", sorted(TERMINAL_STATES))
def test_nothing_moves_after_closed_or_cancelled(state: str) -> None:
    chart = ReturnLifecycle(start_value=state)
    for blocked in (False, True):
        chart.blocked = blocked
        for event in ALL_EVENTS:
            refused(chart, event)


@pytest.mark.parametrize("state", NOT_CANCELLABLE)
def test_no_cancel_once_credited_refunded_rejected_or_finished(state: str) -> None:
    refused(ReturnLifecycle(start_value=state), "cancel")


# --- properties ---------------------------------------------------------------------------

# Each step: an event index, a roll for whether the return is blocked, and a roll for where the
# event comes from: mostly the forward moves the chart offers now (so runs get deep into the
# chart, to `refunded`), sometimes any event at all, sometimes cancel.
steps = st.lists(
    st.tuples(st.integers(0, 1000), st.integers(0, 9), st.integers(0, 19)), min_size=10, max_size=40
)


@settings(max_examples=500, deadline=None)
@given(steps)
def test_random_sequences_never_skip_a_gate_or_move_while_blocked(
    sequence: list[tuple[int, int, int]],
) -> None:
    chart = ReturnLifecycle()
    visited = [chart.state]
    fired: list[str] = []
    for index, block_roll, source in sequence:
        chart.blocked = block_roll == 9
        offered = sorted(e.id for e in chart.allowed_events if e.id != "cancel")
        if source == 19:
            event = "cancel"
        elif source >= 16 or not offered:
            event = ALL_EVENTS[index % len(ALL_EVENTS)]
        else:
            event = offered[index % len(offered)]
        before = chart.state
        allowed = chart.allows(event)
        try:
            moved = chart.fire(event)
        except TransitionNotAllowed:
            assert not allowed
            assert chart.state == before
            continue
        assert allowed
        assert moved == (before, chart.state)
        assert not chart.blocked or event in UNGUARDED, f"{event} moved a blocked return"
        assert before not in TERMINAL_STATES, f"{event} moved a {before} return"
        fired.append(event)
        visited.append(chart.state)

    hypothesis_event("reached refunded" if "refunded" in visited else "stopped earlier")
    if "refunded" in visited:
        path = visited[: visited.index("refunded") + 1]
        goods = _in_order(path, "received", "inspected")
        settled = "settle_without_goods" in fired
        assert goods or settled, f"refunded without receipt+inspection or settlement: {path}"
        assert _in_order(path, "inspected", "refund_approved", "credited", "refunded"), path
        assert "awaiting_approval" not in path or "approve" in fired
    if "rejected" in visited:
        assert "credited" not in visited and "refunded" not in visited


def _in_order(path: list[str], *states: str) -> bool:
    """Whether every one of `states` was visited, in this order."""
    if any(state not in path for state in states):
        return False
    positions = [path.index(state) for state in states]
    return positions == sorted(positions)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ALL_STATES), st.sampled_from(ALL_EVENTS), st.booleans())
def test_allows_predicts_fire(state: str, event: str, blocked: bool) -> None:
    chart = ReturnLifecycle(start_value=state)
    chart.blocked = blocked
    if chart.allows(event):
        chart.fire(event)
    else:
        refused(chart, event)
