"""Where one return's time went, read off its workflow history.

"Why did this refund take three days?" has a few possible answers: someone at a gate, the ERP
(slow, or retried through 429s), or returnflow's own workers falling behind. The history holds
all of them, but spread over a hundred events. This module gives each instant of a window to
one phase: the first that applies in the order below, so something executing counts before
something queued, and the phases add up to the window. Time with nothing scheduled is named by
what ended it: an update or signal (a gate answered), a timer, or the server's own step
between one task and the next. A child workflow (an exchange's replacement order) counts as
waiting for it from its start to its close, whatever signals reach the parent meanwhile; the
child's own history says where its time went.

An activity's started event carries its last attempt's start, so its queued time includes any
earlier attempts and their backoff; `activity_lines` lists the attempts.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from itertools import pairwise

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

ACTIVITY_RUNNING = "activity running"
WORKFLOW_TASK_RUNNING = "workflow task running (local activities included)"
ACTIVITY_QUEUED = "activity waiting for a worker slot (or a retry)"
WORKFLOW_TASK_QUEUED = "workflow task waiting for a worker"
NOT_STARTED = "before the workflow started (ingress, signal-with-start)"
BETWEEN_TASKS = "between tasks (the server writing a finished task's commands)"
TIMER = "waiting until a timer fired (an SLA breach, a retry or a scheduled step)"
STILL_WAITING = "waiting now (the workflow is open; `returnflow status` names the gate)"
_EXECUTING = (ACTIVITY_RUNNING, WORKFLOW_TASK_RUNNING, ACTIVITY_QUEUED, WORKFLOW_TASK_QUEUED)
PHASES = (*_EXECUTING, NOT_STARTED, BETWEEN_TASKS)  # the phases of a window without a gate

_T = EventType
_TASK_ENDS = {
    _T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    _T.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    _T.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
    _T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
    _T.EVENT_TYPE_ACTIVITY_TASK_FAILED,
    _T.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
    _T.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
}
_CHILD_ENDS = {
    _T.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED,
    _T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
    _T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
    _T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
    _T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
    _T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED,
}
_CLOSED = {
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    _T.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
}


def waiting_for(name: str) -> str:
    return f"waiting for {name}"


def waiting_for_child(workflow_type: str) -> str:
    return waiting_for(f"child {workflow_type}")


@dataclass(frozen=True)
class Span:
    phase: str
    start: float
    end: float


def at(event: HistoryEvent) -> float:
    """The event's server time, epoch seconds."""
    return event.event_time.seconds + event.event_time.nanos / 1e9


def _scheduled_id(event: HistoryEvent) -> int:
    """The scheduled event an activity or workflow task event belongs to (0 if none)."""
    return _attribute(event, "scheduled_event_id")


def _initiated_id(event: HistoryEvent) -> int:
    """The start-child command a child workflow event belongs to (0 if none)."""
    return _attribute(event, "initiated_event_id")


def _attribute(event: HistoryEvent, field: str) -> int:
    attributes = event.WhichOneof("attributes")
    return int(getattr(getattr(event, attributes), field, 0)) if attributes else 0


@dataclass(frozen=True)
class ChildLine:
    workflow_id: str
    workflow_type: str
    started: float
    ended: float | None  # None while the child runs
    outcome: str  # completed, failed, canceled, timed out, terminated, start failed, or running


def children(events: list[HistoryEvent]) -> list[ChildLine]:
    """Each child workflow the parent started, from the start command to its close."""
    ends = {_initiated_id(e): e for e in events if e.event_type in _CHILD_ENDS}
    out = []
    for e in events:
        if e.event_type != _T.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            continue
        a = e.start_child_workflow_execution_initiated_event_attributes
        end = ends.get(e.event_id)
        out.append(
            ChildLine(
                a.workflow_id,
                a.workflow_type.name,
                at(e),
                at(end) if end is not None else None,
                _child_outcome(end),
            )
        )
    return out


def _child_outcome(end: HistoryEvent | None) -> str:
    if end is None:
        return "running"
    if end.event_type == _T.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
        return "start failed"  # e.g. a workflow with its id already running
    name = EventType.Name(end.event_type).removeprefix("EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_")
    return name.lower().replace("_", " ")


def closed_at(events: list[HistoryEvent]) -> float | None:
    return next((at(e) for e in reversed(events) if e.event_type in _CLOSED), None)


def spans(events: list[HistoryEvent], until: float) -> list[Span]:
    """Each workflow task and activity as queued and running spans; open ones end at `until`."""
    scheduled: dict[int, tuple[bool, float]] = {}  # id -> (is an activity, at)
    started: dict[int, float] = {}
    ended: dict[int, float] = {}
    workflow_started = None
    for e in events:
        t = e.event_type
        if t == _T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            workflow_started = at(e)
        elif t in (_T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, _T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED):
            scheduled[e.event_id] = (t == _T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, at(e))
        elif t in (_T.EVENT_TYPE_WORKFLOW_TASK_STARTED, _T.EVENT_TYPE_ACTIVITY_TASK_STARTED):
            started[_scheduled_id(e)] = at(e)
        elif t in _TASK_ENDS:
            ended[_scheduled_id(e)] = at(e)
    out = [Span(NOT_STARTED, float("-inf"), workflow_started or until)]
    for sid, (activity, scheduled_at) in scheduled.items():
        queued, running = (
            (ACTIVITY_QUEUED, ACTIVITY_RUNNING)
            if activity
            else (WORKFLOW_TASK_QUEUED, WORKFLOW_TASK_RUNNING)
        )
        begun = started.get(sid, ended.get(sid, until))
        out.append(Span(queued, scheduled_at, begun))
        out.append(Span(running, begun, ended.get(sid, until)))
    for child in children(events):
        end = child.ended if child.ended is not None else until
        out.append(Span(waiting_for_child(child.workflow_type), child.started, end))
    return out


def wakers(events: list[HistoryEvent]) -> list[tuple[float, str]]:
    """(time, phase) for each workflow task: what the time with nothing scheduled before it
    was spent waiting for. A signal or timer event just before the task, or an update the task
    accepted; otherwise it followed other work and the gap was the server's."""
    by_id = {e.event_id: e for e in events}
    out = []
    for i, e in enumerate(events):
        if e.event_type != _T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
            continue
        before = by_id.get(e.event_id - 1)
        phase = BETWEEN_TASKS
        if e.event_id <= 3:  # the first task, after a start or a signal-with-start
            pass
        elif before is not None and before.event_type == _T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            phase = waiting_for(before.workflow_execution_signaled_event_attributes.signal_name)
        elif before is not None and before.event_type == _T.EVENT_TYPE_TIMER_FIRED:
            phase = TIMER
        else:
            accepted = _update_accepted_by(events[i + 1 :])
            if accepted is not None:
                phase = waiting_for(accepted)
        out.append((at(e), phase))
    return out


def _update_accepted_by(following: list[HistoryEvent]) -> str | None:
    """The update the next workflow task's completion accepted, if it accepted one."""
    completed = False
    for e in following:
        if e.event_type == _T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            completed = True
        elif completed and e.event_type == _T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            return str(
                e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
            )
        elif completed and e.event_type == _T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
            return None
    return None


def breakdown(events: list[HistoryEvent], start: float, end: float) -> dict[str, float]:
    """Milliseconds of [start, end] in each phase; the values add up to the window's length."""
    cut = [s for s in spans(events, end) if s.end > start and s.start < end and s.end > s.start]
    edges = sorted({start, end, *(x for s in cut for x in (s.start, s.end) if start < x < end)})
    rank = {phase: i for i, phase in enumerate(PHASES)}
    after_work = len(_EXECUTING)  # a child ranks after the parent's own work, before the rest
    woken = wakers(events)
    times = [t for t, _ in woken]
    last = STILL_WAITING if closed_at(events) is None else BETWEEN_TASKS
    totals = dict.fromkeys(PHASES, 0.0)
    for a, b in pairwise(edges):
        live = [s.phase for s in cut if s.start <= a and s.end >= b]
        if live:
            phase = min(live, key=lambda p: rank.get(p, after_work))
        else:  # nothing scheduled: named by the workflow task that ended the wait
            i = bisect_left(times, b)
            phase = woken[i][1] if i < len(woken) else last
        totals[phase] = totals.get(phase, 0.0) + (b - a) * 1000
    return totals


@dataclass(frozen=True)
class ActivityLine:
    name: str
    attempts: int
    queued_ms: float  # scheduled to the last attempt's start: earlier attempts and backoff
    running_ms: float | None  # the last attempt; None while it runs
    outcome: str  # completed, failed, timed out, canceled, or running / scheduled
    last_failure: str  # why the attempt before the last one failed ("" if none did)


def activity_lines(events: list[HistoryEvent], now: float) -> list[ActivityLine]:
    """Every activity the workflow scheduled, in order, with its attempts and outcome."""
    scheduled = {
        e.event_id: e for e in events if e.event_type == _T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    started = {
        _scheduled_id(e): e for e in events if e.event_type == _T.EVENT_TYPE_ACTIVITY_TASK_STARTED
    }
    ended = {
        _scheduled_id(e): e
        for e in events
        if e.event_type in _TASK_ENDS and (e.WhichOneof("attributes") or "").startswith("activity")
    }
    lines = []
    for sid, e in scheduled.items():
        begun, end = started.get(sid), ended.get(sid)
        s = begun.activity_task_started_event_attributes if begun else None
        outcome = (
            EventType.Name(end.event_type).removeprefix("EVENT_TYPE_ACTIVITY_TASK_").lower()
            if end
            else ("running" if begun else "scheduled")
        ).replace("_", " ")
        lines.append(
            ActivityLine(
                name=e.activity_task_scheduled_event_attributes.activity_type.name,
                attempts=s.attempt if s else 0,
                queued_ms=round(((at(begun) if begun else now) - at(e)) * 1000, 1),
                running_ms=round((at(end) - at(begun)) * 1000, 1) if begun and end else None,
                outcome=outcome,
                last_failure=(
                    s.last_failure.message[:200] if s and s.HasField("last_failure") else ""
                ),
            )
        )
    return lines


@dataclass(frozen=True)
class Timeline:
    started: float
    ended: float | None  # None: still open, measured to `now`
    phases: dict[str, float]  # ms, largest first, adding up to the whole
    activities: list[ActivityLine]
    children: list[ChildLine]

    @property
    def total_ms(self) -> float:
        return sum(self.phases.values())


def timeline(events: list[HistoryEvent], now: float) -> Timeline:
    """The whole life of one workflow: from its start to its close, or to `now` if open."""
    started = at(events[0])
    ended = closed_at(events)
    phases = breakdown(events, started, ended if ended is not None else now)
    ordered = dict(sorted(((p, ms) for p, ms in phases.items() if ms > 0), key=lambda x: -x[1]))
    return Timeline(started, ended, ordered, activity_lines(events, now), children(events))
