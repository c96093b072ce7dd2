"""The yardstick for orchestration overhead: a workflow that does only what Temporal must do for
one return (the same activities, local activities and updates in the same order) and nothing
of returnflow's work. Its shape is read from a real return's history, never written by hand.

    python -m tests.bench.bare ADDRESS TASK_QUEUE   # its worker, as its own process
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

ACTIVITY, LOCAL, UPDATE = "a", "l", "u"
LOCAL_MARKER = "core_local_activity"


def shape_of(events: list[HistoryEvent]) -> str:
    """The order of activities, local activities and updates in a history, one letter each."""
    steps = []
    for e in events:
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            steps.append(ACTIVITY)
        elif (
            e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
            and e.marker_recorded_event_attributes.marker_name == LOCAL_MARKER
        ):
            steps.append(LOCAL)
        elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            steps.append(UPDATE)
    return "".join(steps)


@activity.defn(name="bare.noop")
async def noop(arg: str) -> str:
    return arg


@workflow.defn(name="BareWorkflow")
class BareWorkflow:
    def __init__(self) -> None:
        self.arrived = 0
        self.consumed = 0

    @workflow.run
    async def run(self, shape: str) -> int:
        timeout = timedelta(seconds=60)
        for step in shape:
            if step == ACTIVITY:
                await workflow.execute_activity(noop, step, start_to_close_timeout=timeout)
            elif step == LOCAL:
                await workflow.execute_local_activity(noop, step, start_to_close_timeout=timeout)
            else:
                await workflow.wait_condition(lambda: self.arrived > self.consumed)
                self.consumed += 1
        await workflow.wait_condition(workflow.all_handlers_finished)
        return len(shape)

    @workflow.signal(name="event", description="the webhook that starts it")
    def event(self, payload: str) -> None:
        pass

    @workflow.update(name="step", description="a gate's update; answers when consumed")
    async def step(self, note: str) -> int:
        self.arrived += 1
        mine = self.arrived
        await workflow.wait_condition(lambda: self.consumed >= mine)
        return mine


async def serve(address: str, task_queue: str) -> None:
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    worker = Worker(client, task_queue=task_queue, workflows=[BareWorkflow], activities=[noop])
    await worker.run()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
