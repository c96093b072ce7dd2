"""`returnflow exceptions list|show|resolve` as ops run it: a separate process reading the
queue from the store (SQLite and PostgreSQL) and sending the update to the running return."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from adapters.sandbox.server import ServedApp
from tests.harness import BIN, Live, LoopDriver, live_worker, start_return
from tests.pg import pg_database
from tests.workflow.support import eventually, workflow_result
from workers import ops


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def cli_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('cli') / 'store.db'}"
    else:
        with pg_database("returnflow_cli") as url:
            yield url


@pytest.fixture(scope="module")
async def cli_live(
    dev_env: WorkflowEnvironment, sandboxes: tuple[ServedApp, ServedApp], cli_store: str
) -> AsyncIterator[Live]:
    """Its own task queue: the session's worker must not take these returns."""
    loop, ns = sandboxes
    queue = f"returnflow-cli-{cli_store.split(':')[0]}"
    async with live_worker(dev_env.client, loop.url, ns.url, cli_store, task_queue=queue) as live:
        yield live


async def returnflow(live: Live, *args: str) -> tuple[int, str]:
    env = {
        **os.environ,
        "RETURNFLOW_STORE_URL": live.settings.store_url,
        "RETURNFLOW_TEMPORAL_ADDRESS": live.client.service_client.config.target_host,
        "COLUMNS": "200",
    }
    proc = await asyncio.create_subprocess_exec(
        str(BIN / "returnflow"),
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def listed(live: Live, *filters: str) -> list[dict[str, Any]]:
    code, out = await returnflow(live, "exceptions", "list", "--json", *filters)
    assert code == 0, out
    rows: list[dict[str, Any]] = json.loads(out)
    return rows


async def test_ops_find_and_resolve_a_case_from_the_command_line(
    cli_live: Live, loop_driver: LoopDriver
) -> None:
    live = cli_live
    loop_return = await loop_driver.create(
        "#1006", skus=[], extra_lines=[{"sku": "TEE-BLK-3XL", "price": "25.00", "tax": "5.00"}]
    )
    rid = loop_return["id"]
    await start_return(live.client, live.settings, loop_return)
    status = await eventually(
        lambda: ops.status(live.client, rid), lambda s: s.blocked, what="SKU mismatch"
    )
    [case] = status.open_exceptions

    mine = [
        r
        for r in await listed(live, "--owner", "ops", "--kind", "sku_mismatch")
        if r["return_id"] == rid
    ]
    assert [(r["id"], r["evidence"]["sku"]) for r in mine] == [(case.id, "TEE-BLK-3XL")]
    assert [r for r in await listed(live, "--owner", "finance") if r["return_id"] == rid] == []
    assert [r for r in await listed(live, "--older-than", "3d") if r["return_id"] == rid] == []

    code, table = await returnflow(live, "exceptions", "list", "--owner", "ops")
    assert code == 0 and case.id in table and "sku_mismatch" in table

    code, shown = await returnflow(live, "exceptions", "show", case.id)
    assert code == 0 and json.loads(shown)["gate"] == "validation"

    # a resolution that does not fit the kind is refused with the validator's reason
    code, out = await returnflow(
        live, "exceptions", "resolve", case.id, "--as", "ops@test", "--action", "accept_erp_amount"
    )
    assert code == 1 and "resolved by one of" in out

    code, out = await returnflow(
        live, "exceptions", "resolve", case.id, "--as", "ops@test",
        "--action", "use_erp_item", "--erp-item-id", "502",
    )  # fmt: skip
    assert code == 0, out
    await ops.wait_for_state(live.client, rid, {"authorized"})
    resolved = [r for r in await listed(live, "--status", "any") if r["id"] == case.id]
    assert (resolved[0]["resolved_by"], resolved[0]["resolution"]) == ("ops@test", "use_erp_item")
    await ops.cancel(live.client, rid, "ops@test", "test over")
    assert (await workflow_result(live, rid)).state == "cancelled"

    # a decision sent to a closed return is a refusal that says so, not a server error
    code, out = await returnflow(live, "approve", rid, "--as", "finance@test")
    assert code == 1 and f"refused: return {rid} has closed" in out and "Traceback" not in out
