"""Why docs/deploy.md forbids upgrading a running worker's venv in place.

The SDK's sandbox reads a workflow's module from disk again for every run it creates
(temporalio/sdk-python#607), so files replaced under a running worker change the code its next
runs execute while the modules it passed through stay as loaded. If the SDK stops doing this,
this test fails and the upgrade advice in deploy.md can be relaxed.
"""

from __future__ import annotations

import importlib
import sys
import uuid
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

PROBE = """
from temporalio import workflow

RELEASE = "{release}"


@workflow.defn(name="UpgradeInPlaceProbe")
class Probe:
    @workflow.run
    async def run(self) -> str:
        return RELEASE
"""


async def test_a_running_worker_runs_workflow_code_replaced_on_disk(
    dev_env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"upgrade_probe_{uuid.uuid4().hex[:8]}"
    source = tmp_path / f"{name}.py"
    source.write_text(PROBE.format(release="1.0"))  # 2.0.1 below: another size, so a .pyc
    # written by the first import cannot pass for the new source within the same second
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        module = importlib.import_module(name)
        queue = f"upgrade-probe-{uuid.uuid4()}"
        async with Worker(dev_env.client, task_queue=queue, workflows=[module.Probe]):

            async def one_run() -> str:
                result: str = await dev_env.client.execute_workflow(
                    "UpgradeInPlaceProbe", id=f"{queue}-{uuid.uuid4()}", task_queue=queue
                )
                return result

            before = await one_run()
            source.write_text(PROBE.format(release="2.0.1"))  # `pip install` over the venv
            after = await one_run()
    finally:
        sys.modules.pop(name, None)
    assert (before, after) == ("1.0", "2.0.1")
