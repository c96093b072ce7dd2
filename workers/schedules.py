"""The Temporal Schedules: the daily reconciliation, the catch-up sweep and the ERP status sweep.

`ensure_schedules` creates them or, when they exist, updates them to the current settings, so
`returnflow setup` can be run again after a config change (idempotent either way).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from workers.settings import Settings
from workflows.erp_sweep import ErpStatusSweepWorkflow, ErpSweepRequest
from workflows.reconcile import ReconcileRequest, ReconciliationWorkflow
from workflows.sweep import CatchUpSweepWorkflow, SweepRequest

SWEEP_SCHEDULE = "returnflow-catch-up-sweep"
RECONCILE_SCHEDULE = "returnflow-daily-reconciliation"
ERP_SWEEP_SCHEDULE = "returnflow-erp-status-sweep"


def sweep_schedule(settings: Settings) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            CatchUpSweepWorkflow.run,
            SweepRequest(
                overlap=settings.sweep_overlap, first_lookback=settings.sweep_first_lookback
            ),
            id="catch-up-sweep",
            task_queue=settings.task_queue,
            execution_timeout=timedelta(hours=1),
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=settings.sweep_interval)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


def erp_sweep_schedule(settings: Settings) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            ErpStatusSweepWorkflow.run,
            ErpSweepRequest(page=settings.erp_sweep_page),
            id="erp-status-sweep",
            task_queue=settings.task_queue,
            execution_timeout=timedelta(hours=1),
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=settings.erp_sweep_interval)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


def reconcile_schedule(settings: Settings) -> Schedule:
    """Yesterday (UTC), every day at `reconcile_hour_utc`."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            ReconciliationWorkflow.run,
            ReconcileRequest(
                days_back=1,
                window=settings.reconcile_window,
                grace=settings.reconcile_grace,
                amount_tolerance=settings.amount_tolerance,
            ),
            id="daily-reconciliation",
            task_queue=settings.task_queue,
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    hour=[ScheduleRange(settings.reconcile_hour_utc)],
                    minute=[ScheduleRange(0)],
                    second=[ScheduleRange(0)],
                )
            ]
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_schedules(client: Client, settings: Settings) -> dict[str, str]:
    """Create or update every schedule; schedule id -> 'created' or 'updated'."""
    outcome: dict[str, str] = {}
    for schedule_id, schedule in (
        (SWEEP_SCHEDULE, sweep_schedule(settings)),
        (ERP_SWEEP_SCHEDULE, erp_sweep_schedule(settings)),
        (RECONCILE_SCHEDULE, reconcile_schedule(settings)),
    ):
        try:
            await client.create_schedule(schedule_id, schedule)
            outcome[schedule_id] = "created"
        except ScheduleAlreadyRunningError:

            def replace(_: ScheduleUpdateInput, new: Schedule = schedule) -> ScheduleUpdate:
                return ScheduleUpdate(schedule=new)

            await client.get_schedule_handle(schedule_id).update(replace)
            outcome[schedule_id] = "updated"
    return outcome
