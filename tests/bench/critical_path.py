"""Where a leg of a return's life spent its time, read off its history.

A latency under load is mostly waiting, and a p99 alone cannot say for what. Every instant of a
leg is given to one phase, the first that applies in PHASES' order: something executing counts
before something queued, so the phases of a leg add up to the leg. Times are the server's; an
activity's started event carries its last attempt's start, so the time before it includes any
earlier attempts and their backoff. The legs measured have no gate or timer inside them, so time
with nothing scheduled is the server's own, between a task's end and the next task.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from tests.bench.report import percentile

ACTIVITY_RUNNING = "activity running"
WORKFLOW_TASK_RUNNING = "workflow task running (local activities included)"
ACTIVITY_QUEUED = "activity waiting for a worker slot (or a retry)"
WORKFLOW_TASK_QUEUED = "workflow task waiting for a worker"
NOT_STARTED = "before the workflow started (ingress, signal-with-start)"
IDLE = "between tasks (the server writing a finished task's commands)"
PHASES = (
    ACTIVITY_RUNNING,
    WORKFLOW_TASK_RUNNING,
    ACTIVITY_QUEUED,
    WORKFLOW_TASK_QUEUED,
    NOT_STARTED,
    IDLE,
)
_T = EventType
_WORKFLOW_TASK_ENDS = {
    _T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    _T.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    _T.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
}
_ACTIVITY_ENDS = {
    _T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
    _T.EVENT_TYPE_ACTIVITY_TASK_FAILED,
    _T.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
    _T.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
}


@dataclass(frozen=True)
class Span:
    phase: str
    start: float
    end: float


def _at(event: HistoryEvent) -> float:
    return event.event_time.seconds + event.event_time.nanos / 1e9


def _scheduled_id(event: HistoryEvent) -> int:
    """The scheduled event an activity or workflow task event belongs to (0 if none)."""
    attributes = event.WhichOneof("attributes")
    return int(getattr(getattr(event, attributes), "scheduled_event_id", 0)) if attributes else 0


def spans(events: list[HistoryEvent], until: float) -> list[Span]:
    """Each workflow task and activity as queued and running spans; open ones end at `until`."""
    scheduled: dict[int, tuple[bool, float]] = {}  # id -> (is an activity, at)
    started: dict[int, float] = {}
    ended: dict[int, float] = {}
    workflow_started = None
    for e in events:
        t = e.event_type
        if t == _T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            workflow_started = _at(e)
        elif t in (_T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, _T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED):
            scheduled[e.event_id] = (t == _T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, _at(e))
        elif t in (_T.EVENT_TYPE_WORKFLOW_TASK_STARTED, _T.EVENT_TYPE_ACTIVITY_TASK_STARTED):
            started[_scheduled_id(e)] = _at(e)
        elif t in _WORKFLOW_TASK_ENDS or t in _ACTIVITY_ENDS:
            ended[_scheduled_id(e)] = _at(e)
    out = [Span(NOT_STARTED, float("-inf"), workflow_started or until)]
    for sid, (activity, at) in scheduled.items():
        queued, running = (
            (ACTIVITY_QUEUED, ACTIVITY_RUNNING)
            if activity
            else (WORKFLOW_TASK_QUEUED, WORKFLOW_TASK_RUNNING)
        )
        begun = started.get(sid, ended.get(sid, until))
        out.append(Span(queued, at, begun))
        out.append(Span(running, begun, ended.get(sid, until)))
    return out


def breakdown(events: list[HistoryEvent], start: float, end: float) -> dict[str, float]:
    """Milliseconds of [start, end] in each phase; the values add up to the leg's length."""
    cut = [s for s in spans(events, end) if s.end > start and s.start < end and s.end > s.start]
    edges = sorted({start, end, *(x for s in cut for x in (s.start, s.end) if start < x < end)})
    rank = {phase: i for i, phase in enumerate(PHASES)}
    totals = dict.fromkeys(PHASES, 0.0)
    for a, b in pairwise(edges):
        live = [s.phase for s in cut if s.start <= a and s.end >= b]
        phase = min(live, key=rank.__getitem__, default=IDLE)
        totals[phase] += (b - a) * 1000
    return totals


def summary(legs: Iterable[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Per phase over many legs: mean ms (the means add up to the mean leg), p50 and p99 ms."""
    legs = list(legs)
    out = {}
    for phase in PHASES:
        values = [leg[phase] for leg in legs]
        if not any(values):
            continue
        out[phase] = {
            "mean_ms": round(sum(values) / len(values), 1),
            "p50_ms": round(percentile(values, 50), 1),
            "p99_ms": round(percentile(values, 99), 1),
        }
    return out
