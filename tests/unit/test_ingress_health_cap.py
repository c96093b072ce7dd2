"""A store-acked ingress answers /healthz inside a 1 s probe even when Temporal black-holes the
health check: Temporal's state is only reported there, the store is what readiness means."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from types import SimpleNamespace

import httpx

from adapters.store import Store
from tests.harness import settings_for
from workers.ingress import create_ingress


class BlackHole:
    """A client whose health check never answers (a firewall dropping packets)."""

    def __init__(self) -> None:
        self.service_client = SimpleNamespace(check_health=self.check_health)

    async def check_health(self) -> bool:
        await asyncio.sleep(60)
        return True


async def test_healthz_answers_within_the_cap_while_temporal_hangs(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path / 'rf.db'}")
    store.create_all()
    settings = settings_for(
        "http://loop",
        "http://ns",
        str(store.engine.url),
        ingress_ack="store",
        ingress_forwarder="separate",
    )
    app = create_ingress(settings, BlackHole(), store)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ingress") as client:
        started = time.monotonic()
        health = await client.get("/healthz")
        took = time.monotonic() - started
    store.close()
    assert health.status_code == 200
    assert health.json()["temporal"] != "ok" and health.json()["forward_backlog"] == 0
    assert took < 1.0, took
