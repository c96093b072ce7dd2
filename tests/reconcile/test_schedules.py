"""`returnflow setup`'s schedules on the dev server: created, updated in place, and they run."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from temporalio.client import ScheduleActionStartWorkflow
from temporalio.testing import WorkflowEnvironment

from adapters.store.sweeps import SweepLedger
from tests.reconcile.stack import issue7_stack
from workers.schedules import (
    ERP_SWEEP_SCHEDULE,
    RECONCILE_SCHEDULE,
    SWEEP_SCHEDULE,
    ensure_schedules,
)

SCHEDULES = (SWEEP_SCHEDULE, ERP_SWEEP_SCHEDULE, RECONCILE_SCHEDULE)


async def test_schedules_are_created_updated_and_run(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> None:
    client = dev_env.client
    async with issue7_stack(client, tmp_path_factory.mktemp("sched"), "issue7-schedules") as stack:
        settings = stack.live.settings.model_copy(update={"sweep_interval": timedelta(hours=1)})
        try:
            assert await ensure_schedules(client, settings) == dict.fromkeys(SCHEDULES, "created")
            faster = settings.model_copy(
                update={
                    "sweep_interval": timedelta(minutes=3),
                    "erp_sweep_interval": timedelta(minutes=7),
                    "reconcile_hour_utc": 4,
                }
            )
            assert set((await ensure_schedules(client, faster)).values()) == {"updated"}

            sweep = await client.get_schedule_handle(SWEEP_SCHEDULE).describe()
            assert [i.every for i in sweep.schedule.spec.intervals] == [timedelta(minutes=3)]
            action = sweep.schedule.action
            assert isinstance(action, ScheduleActionStartWorkflow)
            assert (action.workflow, action.task_queue) == (
                "CatchUpSweepWorkflow",
                "issue7-schedules",
            )
            erp_sweep = await client.get_schedule_handle(ERP_SWEEP_SCHEDULE).describe()
            assert [i.every for i in erp_sweep.schedule.spec.intervals] == [timedelta(minutes=7)]
            erp_action = erp_sweep.schedule.action
            assert isinstance(erp_action, ScheduleActionStartWorkflow)
            assert erp_action.workflow == "ErpStatusSweepWorkflow"
            daily = await client.get_schedule_handle(RECONCILE_SCHEDULE).describe()
            calendar = daily.schedule.spec.calendars[0]
            assert [(r.start, r.end) for r in calendar.hour] == [(4, 4)]
            daily_action = daily.schedule.action
            assert isinstance(daily_action, ScheduleActionStartWorkflow)
            assert daily_action.workflow == "ReconciliationWorkflow"

            await client.get_schedule_handle(SWEEP_SCHEDULE).trigger()
            ledger = SweepLedger(stack.live.store)
            for _ in range(300):  # up to 30 s on a busy machine
                if any(run.finished_at for run in ledger.runs()):
                    break
                await asyncio.sleep(0.1)
            runs = ledger.runs()
            assert len(runs) == 1 and runs[0].finished_at is not None
            assert runs[0].id.startswith("catch-up-sweep")
        finally:
            for schedule_id in SCHEDULES:
                await client.get_schedule_handle(schedule_id).delete()
