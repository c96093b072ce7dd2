"""Replay a return's history against the current workflow code to catch nondeterminism."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer, WorkflowReplayResult

from workers.worker import WORKFLOWS


def replayer() -> Replayer:
    return Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)


def load_history(path: Path) -> WorkflowHistory:
    workflow_id = path.stem
    return WorkflowHistory.from_json(workflow_id, path.read_text())


async def replay_file(path: Path) -> WorkflowReplayResult:
    """Replay one saved history; the result carries the failure instead of raising."""
    return await replayer().replay_workflow(load_history(path), raise_on_replay_failure=False)


async def replay_running(client: Client, workflow_id: str) -> WorkflowReplayResult:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return await replayer().replay_workflow(history, raise_on_replay_failure=False)
