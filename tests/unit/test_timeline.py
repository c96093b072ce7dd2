"""A return's timeline gives each instant to one phase: running before queued, and time with
nothing scheduled named by what ended it (a gate's update or signal, a timer, the server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from typer.testing import CliRunner

from tests.bench.critical_path import summary
from workers.cli import app
from workers.replay import load_history
from workers.timeline import (
    ACTIVITY_QUEUED,
    ACTIVITY_RUNNING,
    BETWEEN_TASKS,
    NOT_STARTED,
    STILL_WAITING,
    TIMER,
    WORKFLOW_TASK_QUEUED,
    WORKFLOW_TASK_RUNNING,
    activity_lines,
    breakdown,
    timeline,
    waiting_for,
    waiting_for_child,
)

T = EventType
BASE = 1_800_000_000


def _event(event_id: int, kind: int, at: float, scheduled: int = 0) -> HistoryEvent:
    e = HistoryEvent(event_id=event_id, event_type=kind)  # type: ignore[arg-type]
    e.event_time.FromNanoseconds(int((BASE + at) * 1e9))
    if kind == T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        e.workflow_execution_started_event_attributes.attempt = 1
    elif kind == T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        e.workflow_task_scheduled_event_attributes.attempt = 1
    elif kind == T.EVENT_TYPE_WORKFLOW_TASK_STARTED:
        e.workflow_task_started_event_attributes.scheduled_event_id = scheduled
    elif kind == T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        e.workflow_task_completed_event_attributes.scheduled_event_id = scheduled
    elif kind == T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        e.activity_task_scheduled_event_attributes.activity_type.name = "erp.create_credit"
    elif kind == T.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        e.activity_task_started_event_attributes.scheduled_event_id = scheduled
    elif kind == T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        e.activity_task_completed_event_attributes.scheduled_event_id = scheduled
    return e


def _history() -> list[HistoryEvent]:
    """Started at 1.0 s; a workflow task queued 1.0-3.0 and run 3.0-3.5, scheduling two
    activities at once: A queued 3.5-4.0 and run 4.0-5.0, B queued 3.5-6.0 and run 6.0-6.5."""
    return [
        _event(1, T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, 1.0),
        _event(2, T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 1.0),
        _event(3, T.EVENT_TYPE_WORKFLOW_TASK_STARTED, 3.0, scheduled=2),
        _event(4, T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 3.5, scheduled=2),
        _event(5, T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, 3.5),
        _event(6, T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, 3.5),
        _event(7, T.EVENT_TYPE_ACTIVITY_TASK_STARTED, 4.0, scheduled=5),
        _event(8, T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, 5.0, scheduled=5),
        _event(9, T.EVENT_TYPE_ACTIVITY_TASK_STARTED, 6.0, scheduled=6),
        _event(10, T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, 6.5, scheduled=6),
    ]


def test_every_instant_goes_to_one_phase_and_running_wins_over_queued() -> None:
    legs = breakdown(_history(), start=0.0 + BASE, end=6.5 + BASE)
    assert legs[NOT_STARTED] == pytest.approx(1000)  # posted at 0, started at 1
    assert legs[WORKFLOW_TASK_QUEUED] == pytest.approx(2000)
    assert legs[WORKFLOW_TASK_RUNNING] == pytest.approx(500)
    # 3.5-4.0 both queued; 4.0-5.0 A runs while B waits; 5.0-6.0 B waits alone; 6.0-6.5 B runs
    assert legs[ACTIVITY_QUEUED] == pytest.approx(500 + 1000)
    assert legs[ACTIVITY_RUNNING] == pytest.approx(1000 + 500)
    assert legs[BETWEEN_TASKS] == pytest.approx(0)
    assert sum(legs.values()) == pytest.approx(6500)


def test_a_leg_is_cut_to_its_window() -> None:
    legs = breakdown(_history(), start=3.25 + BASE, end=5.0 + BASE)
    assert legs[WORKFLOW_TASK_RUNNING] == pytest.approx(250)
    assert legs[ACTIVITY_QUEUED] == pytest.approx(500)  # both queued 3.5-4.0; then A runs
    assert legs[ACTIVITY_RUNNING] == pytest.approx(1000)
    assert legs[NOT_STARTED] == legs[WORKFLOW_TASK_QUEUED] == 0


class _History:
    """Events appended in order, numbered as the server numbers them."""

    def __init__(self) -> None:
        self.events: list[HistoryEvent] = []

    def add(self, kind: int, at: float, scheduled: int = 0) -> HistoryEvent:
        self.events.append(_event(len(self.events) + 1, kind, at, scheduled))
        return self.events[-1]

    def workflow_task(self, at: float) -> None:
        """Scheduled at `at`, picked up 0.1 s later, done 0.1 s after that."""
        sid = self.add(T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, at).event_id
        self.add(T.EVENT_TYPE_WORKFLOW_TASK_STARTED, at + 0.1, sid)
        self.add(T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, at + 0.2, sid)


def _gated() -> list[HistoryEvent]:
    """A receipt gate answered by an update at 10 s, then an activity, a Loop signal at 20 s,
    a timer at 30 s, and still open at 40 s."""
    h = _History()
    h.add(T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, 0.0)
    h.workflow_task(0.0)
    h.add(T.EVENT_TYPE_TIMER_STARTED, 0.2)  # the gate's SLA timer: not work
    h.workflow_task(10.0)  # the update's task
    update = h.add(T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, 10.2)
    update.workflow_execution_update_accepted_event_attributes.accepted_request.input.name = (
        "record_receipt"
    )
    sid = h.add(T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, 10.2).event_id
    started = h.add(T.EVENT_TYPE_ACTIVITY_TASK_STARTED, 10.2, sid)
    started.activity_task_started_event_attributes.attempt = 3
    started.activity_task_started_event_attributes.last_failure.message = "NetSuite answered 429"
    h.add(T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, 10.5, sid)
    h.workflow_task(10.5)
    signal = h.add(T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, 20.0)
    signal.workflow_execution_signaled_event_attributes.signal_name = "loop_event"
    h.workflow_task(20.0)
    h.add(T.EVENT_TYPE_TIMER_FIRED, 30.0)
    h.workflow_task(30.0)
    return h.events


def test_time_with_nothing_scheduled_is_named_by_what_ended_it() -> None:
    line = timeline(_gated(), now=BASE + 40.0)
    assert line.ended is None
    assert line.phases[waiting_for("record_receipt")] == pytest.approx(9800)
    assert line.phases[waiting_for("loop_event")] == pytest.approx(9300)
    assert line.phases[TIMER] == pytest.approx(9800)
    assert line.phases[STILL_WAITING] == pytest.approx(9800)
    assert BETWEEN_TASKS not in line.phases  # every gap here was waiting for something
    assert line.total_ms == pytest.approx(40_000)
    assert next(iter(line.phases)) in {waiting_for("record_receipt"), TIMER, STILL_WAITING}


def test_each_activity_shows_its_attempts_and_why_the_last_retry_happened() -> None:
    (only,) = activity_lines(_gated(), now=BASE + 40.0)
    assert (only.name, only.attempts, only.outcome) == ("erp.create_credit", 3, "completed")
    assert only.running_ms == pytest.approx(300)
    assert only.last_failure == "NetSuite answered 429"


def test_the_summary_means_add_up_to_the_mean_leg_and_empty_phases_are_left_out() -> None:
    one = breakdown(_history(), start=BASE, end=6.5 + BASE)
    two = breakdown(_history(), start=BASE + 3.0, end=5.0 + BASE)
    s = summary([one, two])
    assert BETWEEN_TASKS not in s
    assert sum(p["mean_ms"] for p in s.values()) == pytest.approx((6500 + 2000) / 2, abs=0.5)
    assert s[NOT_STARTED]["p50_ms"] == pytest.approx(500)  # 1000 and 0: inclusive median


def _with_child(closes_at: float | None) -> list[HistoryEvent]:
    """An exchange child started at 10.2 s; a Loop signal reaches the parent at 15 s; the child
    ends at `closes_at` (None: still running), then the parent's last task."""
    h = _History()
    h.add(T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, 0.0)
    h.workflow_task(0.0)
    h.workflow_task(10.0)
    start = h.add(T.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, 10.2)
    a = start.start_child_workflow_execution_initiated_event_attributes
    a.workflow_id, a.workflow_type.name = "exchange-1673", "ExchangeOrderWorkflow"
    began = h.add(T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, 10.3)
    began.child_workflow_execution_started_event_attributes.initiated_event_id = start.event_id
    h.workflow_task(10.3)
    signal = h.add(T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, 15.0)
    signal.workflow_execution_signaled_event_attributes.signal_name = "loop_event"
    h.workflow_task(15.0)
    if closes_at is not None:
        done = h.add(T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED, closes_at)
        done.child_workflow_execution_completed_event_attributes.initiated_event_id = start.event_id
        h.workflow_task(closes_at)
        h.add(T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, closes_at + 0.2)
    return h.events


def test_a_child_s_whole_life_is_the_parent_waiting_for_it() -> None:
    line = timeline(_with_child(closes_at=25.0), now=BASE + 99.0)
    child = waiting_for_child("ExchangeOrderWorkflow")
    # 10.2-25.0, less the parent's own two tasks meanwhile (0.2 s each): running wins
    assert line.phases[child] == pytest.approx(14_800 - 400)
    assert waiting_for("loop_event") not in line.phases  # the signal did not end the wait
    assert line.total_ms == pytest.approx(25_200)
    (c,) = line.children
    assert (c.workflow_id, c.workflow_type, c.outcome) == (
        "exchange-1673",
        "ExchangeOrderWorkflow",
        "completed",
    )
    assert c.ended is not None and c.ended - c.started == pytest.approx(14.8)


def test_a_running_child_is_waited_for_until_now() -> None:
    line = timeline(_with_child(closes_at=None), now=BASE + 40.0)
    assert line.phases[waiting_for_child("ExchangeOrderWorkflow")] == pytest.approx(29_800 - 400)
    assert STILL_WAITING not in line.phases
    assert [(c.outcome, c.ended) for c in line.children] == [("running", None)]


def test_the_command_refuses_an_exchange_of_an_exported_history(tmp_path: Path) -> None:
    exported = tmp_path / "return-1673.json"
    exported.write_text("{}")
    args = ["timeline", "--file", str(exported), "--exchange"]
    answer = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert answer.exit_code == 2
    assert "--file of its own" in answer.output


def test_a_saved_exchange_history_shows_its_child_and_adds_up() -> None:
    histories = Path(__file__).parents[1] / "histories"
    parent = list(load_history(histories / "exchange.json").events)
    line = timeline(parent, now=0.0)
    assert line.ended is not None
    assert line.total_ms == pytest.approx((line.ended - line.started) * 1000)
    (child,) = line.children
    assert (child.workflow_id, child.outcome) == ("exchange-h-exchange", "completed")
    assert child.ended is not None
    waited = line.phases[waiting_for_child("ExchangeOrderWorkflow")]
    assert 0 < waited <= (child.ended - child.started) * 1000
    own = timeline(list(load_history(histories / "exchange_child.json").events), now=0.0)
    assert {a.name for a in own.activities} == {"erp.check_availability", "erp.create_sales_order"}
    assert own.children == []
