"""A return whose workflow task was heartbeated across a slow store write still replays.

A local activity that outlasts most of the workflow task timeout makes the worker heartbeat the
task, so one activation live is several tasks in the history. The benchmark drill found patch
checks asked after a local activity failing replay when a worker died there (the task boundary
moved); returnflow now asks its one patch at start. This test holds the projection store locked
while the inspection's audit row is written and checks that such a history replays. (It does not
recreate the drill's exact boundary, which needs the worker killed at that moment.)
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.common import WorkflowIDConflictPolicy

from tests.harness import Live, LoopDriver, created_event
from workers import ops
from workers.ingress import workflow_id
from workers.replay import replay_running
from workflows.model import ReturnStart
from workflows.returns import ReturnWorkflow

WAREHOUSE = "warehouse@test"


async def test_a_task_split_by_a_slow_store_write_replays(
    live: Live, loop_driver: LoopDriver
) -> None:
    if not live.settings.store_url.startswith("sqlite:///"):
        pytest.skip("the lock is taken on the SQLite store file")
    loop_return = await loop_driver.create("#1001", skus=["TEE-BLK-M"])
    rid = str(loop_return["id"])
    await live.client.start_workflow(
        ReturnWorkflow.run,
        ReturnStart(return_id=rid, config=live.settings.return_config()),
        id=workflow_id(rid),
        task_queue=live.settings.task_queue,
        start_signal="loop_event",
        start_signal_args=[created_event(loop_return)],
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        task_timeout=timedelta(seconds=1),  # the worker heartbeats a task after 0.8 s
    )
    await ops.wait_for_state(live.client, rid, {"authorized"}, timeout=15)
    await ops.receive(live.client, rid, WAREHOUSE)

    lock = sqlite3.connect(live.settings.store_url.removeprefix("sqlite:///"), timeout=10)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        inspecting = asyncio.create_task(ops.inspect(live.client, rid, WAREHOUSE))
        await asyncio.sleep(2.5)  # the inspection's audit row waits on the lock meanwhile
    finally:
        lock.rollback()
        lock.close()
    await inspecting
    await ops.wait_for_state(live.client, rid, {"closed"}, timeout=30)

    history = await live.client.get_workflow_handle(workflow_id(rid)).fetch_history()
    kinds = [e.event_type for e in history.events]
    heartbeats = sum(
        a == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        and b == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
        for a, b in itertools.pairwise(kinds)
    )
    assert heartbeats >= 1, "the slow store write did not make the worker heartbeat its task"
    result = await replay_running(live.client, workflow_id(rid))
    assert result.replay_failure is None, result.replay_failure
