"""A store-acked ingress answers /healthz inside a 1 s probe even when Temporal black-holes the
health check: Temporal's state is only reported there, the store is what readiness means."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx

from adapters.store import Store
from tests.harness import settings_for
from workers.ingress import create_ingress
from workers.temporal import connect


async def test_healthz_answers_within_the_cap_while_temporal_hangs(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path / 'rf.db'}")
    store.create_all()
    # a port that takes connections and never answers: the kernel completes the TCP handshake
    # into the backlog, nobody accepts, so the client's gRPC handshake hangs
    black_hole = socket.socket()
    black_hole.bind(("127.0.0.1", 0))
    black_hole.listen(16)
    settings = settings_for(
        "http://loop",
        "http://ns",
        str(store.engine.url),
        ingress_ack="store",
        ingress_forwarder="separate",
        temporal_address=f"127.0.0.1:{black_hole.getsockname()[1]}",
    )
    client = await connect(settings, lazy=True)  # as `returnflow ingress` does with ack=store
    app = create_ingress(settings, client, store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ingress") as client:
        started = time.monotonic()
        health = await client.get("/healthz")
        took = time.monotonic() - started
    store.close()
    black_hole.close()
    assert health.status_code == 200
    assert health.json()["temporal"] != "ok" and health.json()["forward_backlog"] == 0
    assert took < 1.0, took
