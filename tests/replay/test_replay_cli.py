"""`returnflow replay`: a running return's history fetched from the server replays cleanly, and a
history the current code cannot reproduce is reported as nondeterminism with a non-zero exit."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner, Result

from tests.harness import Live, LoopDriver, start_return
from workers import ops
from workers.cli import app
from workers.ingress import workflow_id


async def _replay(live: Live, *args: str) -> Result:
    env = {
        "RETURNFLOW_TEMPORAL_ADDRESS": live.client.service_client.config.target_host,
        "RETURNFLOW_TEMPORAL_NAMESPACE": live.client.namespace,
    }
    # the CLI runs its own event loop: give it a thread
    return await asyncio.to_thread(CliRunner().invoke, app, ["replay", *args], env=env)


async def test_replay_fetches_a_running_return_and_reports_nondeterminism(
    live: Live, loop_driver: LoopDriver, tmp_path: Path
) -> None:
    loop_return = await loop_driver.create("#1001", outcome="refund")
    await start_return(live.client, live.settings, loop_return)
    rid = loop_return["id"]
    await ops.wait_for_state(live.client, rid, {"authorized"}, timeout=30)

    clean = await _replay(live, workflow_id(rid))
    assert clean.exit_code == 0, clean.output
    assert "replayed cleanly" in clean.output

    missing = await _replay(live, "return-does-not-exist")
    assert missing.exit_code != 0

    history = await live.client.get_workflow_handle(workflow_id(rid)).fetch_history()
    changed = history.to_json().replace(
        '"erp.create_return_authorization"', '"erp.create_something_else"'
    )
    path = tmp_path / f"{workflow_id(rid)}.json"
    path.write_text(changed)
    broken = await _replay(live, "--file", str(path))
    assert broken.exit_code == 1
    assert "NONDETERMINISM" in broken.output
