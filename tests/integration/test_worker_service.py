"""`returnflow worker` as a service: a real subprocess, configured only through RETURNFLOW_*.

It sizes its ERP queue from NetSuite's governanceLimits, answers /readyz, serves our counters
and the SDK's Prometheus metrics, and on SIGTERM lets the activity in flight finish before it
exits 0.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from adapters.sandbox.catalog import demo_catalog, with_copies
from adapters.sandbox.loop import create_loop_sandbox
from adapters.sandbox.netsuite import NetSuiteSandboxControl, create_netsuite_sandbox
from adapters.sandbox.server import ServedApp
from tests.drills.processes import free_port, settings_env
from tests.harness import (
    BIN,
    COPIES,
    LOOP_KEY,
    NS,
    WEBHOOK_SECRET,
    LoopDriver,
    settings_for,
    start_return,
)
from workers.temporal import connect

TASK_QUEUE = "returnflow-service"
ERP_QUEUE = "returnflow-service-erp"
SLOW_MS = 1500


@pytest.fixture(scope="module")
def own_sandboxes() -> Iterator[tuple[str, str]]:
    catalog = with_copies(demo_catalog(), COPIES)
    loop = create_loop_sandbox(catalog, LOOP_KEY, WEBHOOK_SECRET)
    netsuite = create_netsuite_sandbox(catalog, **NS)
    with ServedApp(loop, name="loop-svc") as lp, ServedApp(netsuite, name="netsuite-svc") as ns:
        yield lp.url, ns.url


@pytest.fixture
async def worker_process(
    dev_env: WorkflowEnvironment, own_sandboxes: tuple[str, str], tmp_path: Path
) -> AsyncIterator[tuple[asyncio.subprocess.Process, dict[str, str], asyncio.Task[str]]]:
    loop_url, netsuite_url = own_sandboxes
    async with NetSuiteSandboxControl(netsuite_url) as control:
        await control.reset()
        await control.governance(concurrency_limit=10, integration_limit=3)
    metrics_port, sdk_port = free_port(), free_port()
    settings = settings_for(
        loop_url,
        netsuite_url,
        f"sqlite:///{tmp_path / 'returnflow.db'}",
        temporal_address=dev_env.client.service_client.config.target_host,
        task_queue=TASK_QUEUE,
        erp_task_queue=ERP_QUEUE,
        erp_max_concurrency=8,
        metrics_host="127.0.0.1",
        metrics_port=metrics_port,
        temporal_metrics_port=sdk_port,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETURNFLOW_")}
    env |= settings_env(settings)
    proc = await asyncio.create_subprocess_exec(
        str(BIN / "returnflow"),
        "worker",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    collected = asyncio.create_task(_collect(proc.stderr))
    urls = {
        "loop": loop_url,
        "netsuite": netsuite_url,
        "ops": f"http://127.0.0.1:{metrics_port}",
        "sdk": f"http://127.0.0.1:{sdk_port}/metrics",
    }
    try:
        await _until_ready(urls["ops"], proc)
        yield proc, urls, collected
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await collected


async def _collect(stream: asyncio.StreamReader) -> str:
    """The worker's stderr (its JSON log) once it closes."""
    return (await stream.read()).decode()


async def _until_ready(ops_url: str, proc: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        for _ in range(300):
            if proc.returncode is not None:
                raise AssertionError(f"worker exited {proc.returncode} before it was ready")
            try:
                if (await http.get(ops_url + "/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("worker never became ready")


async def test_worker_serves_metrics_then_finishes_in_flight_work_on_sigterm(
    dev_env: WorkflowEnvironment,
    worker_process: tuple[asyncio.subprocess.Process, dict[str, str], asyncio.Task[str]],
) -> None:
    proc, urls, log = worker_process
    async with httpx.AsyncClient(timeout=5) as http:
        ours = (await http.get(urls["ops"] + "/metrics")).text
        sdk = (await http.get(urls["sdk"])).text
        alive = await http.get(urls["ops"] + "/healthz")
    # governanceLimits reserves 3 slots for us (account 10, our cap 8): the ERP queue takes 3
    assert "returnflow_erp_activity_slots 3.0" in ours
    assert "temporal_" in sdk and "worker" in sdk  # the SDK's own Prometheus metrics
    assert alive.status_code == 200

    settings = settings_for(
        urls["loop"], urls["netsuite"], "sqlite://", task_queue=TASK_QUEUE, erp_task_queue=ERP_QUEUE
    )
    async with NetSuiteSandboxControl(urls["netsuite"]) as control:
        # the order look-up inside validation takes SLOW_MS: an activity surely in flight
        await control.faults(latency_ms=SLOW_MS, paths=["/services/rest/record/v1/salesOrder"])
        async with LoopDriver(urls["loop"]) as driver:
            loop_return = await driver.create("#1001", outcome="refund")
        handle = await start_return(dev_env.client, settings, loop_return)
        for _ in range(200):
            if (await control.dump(with_records=False))["governance"]["inFlight"] > 0:
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the validation call never reached NetSuite")

        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), 30)
        await control.faults()

    text = await log
    assert code == 0, text
    assert "worker shutting down" in text and "worker stopped" in text
    history = await handle.fetch_history()
    scheduled = {
        e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    finished = {
        scheduled[e.activity_task_completed_event_attributes.scheduled_event_id]
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
    }
    assert "erp.validate_return" in finished  # finished during shutdown, not abandoned


async def test_one_off_commands_leave_the_services_metrics_port_alone(
    dev_env: WorkflowEnvironment,
) -> None:
    """`returnflow setup` or `status` run on a worker's host with its settings must not fail on
    the SDK metrics port the worker holds; a second service on that port does fail, loudly."""
    with socket.socket() as held:  # the running worker's SDK metrics port
        held.bind(("127.0.0.1", 0))
        held.listen()
        settings = settings_for(
            "http://loop.invalid",
            "http://netsuite.invalid",
            "sqlite://",
            temporal_address=dev_env.client.service_client.config.target_host,
            metrics_host="127.0.0.1",
            temporal_metrics_port=held.getsockname()[1],
        )
        client = await connect(settings)
        assert await client.service_client.check_health()
        with pytest.raises(ValueError, match="Address already in use"):
            await connect(settings, service=True)
