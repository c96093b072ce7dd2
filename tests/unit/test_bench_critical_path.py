"""The latency breakdown gives each instant of a leg to one phase, running before queued."""

from __future__ import annotations

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from tests.bench.critical_path import (
    ACTIVITY_QUEUED,
    ACTIVITY_RUNNING,
    IDLE,
    NOT_STARTED,
    WORKFLOW_TASK_QUEUED,
    WORKFLOW_TASK_RUNNING,
    breakdown,
    summary,
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
        e.activity_task_scheduled_event_attributes.activity_id = str(event_id)
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
    assert legs[IDLE] == pytest.approx(0)
    assert sum(legs.values()) == pytest.approx(6500)


def test_a_leg_is_cut_to_its_window_and_a_gap_with_nothing_scheduled_is_idle() -> None:
    events = [*_history()[:4], _event(5, T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, 4.5)]
    legs = breakdown(events, start=3.25 + BASE, end=5.0 + BASE)
    assert legs[WORKFLOW_TASK_RUNNING] == pytest.approx(250)
    assert legs[IDLE] == pytest.approx(1000)  # 3.5-4.5: nothing scheduled
    assert legs[ACTIVITY_QUEUED] == pytest.approx(500)  # never started: open to the end
    assert legs[NOT_STARTED] == legs[WORKFLOW_TASK_QUEUED] == 0


def test_the_summary_means_add_up_to_the_mean_leg_and_empty_phases_are_left_out() -> None:
    one = breakdown(_history(), start=BASE, end=6.5 + BASE)
    two = breakdown(_history(), start=BASE + 3.0, end=5.0 + BASE)
    s = summary([one, two])
    assert IDLE not in s
    assert sum(p["mean_ms"] for p in s.values()) == pytest.approx((6500 + 2000) / 2, abs=0.5)
    assert s[NOT_STARTED]["p50_ms"] == pytest.approx(500)  # 1000 and 0: inclusive median
