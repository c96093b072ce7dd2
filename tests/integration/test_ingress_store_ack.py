"""The ingress acknowledging from the store (RETURNFLOW_INGRESS_ACK=store): Loop's 2xx means
the event is in the store, the forwarder hands it to Temporal, and a delivery a dead ingress
acknowledged but never forwarded is picked up by the next one."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import text

from adapters.loop.payload import parse_webhook
from adapters.sandbox.server import ServedApp
from adapters.store import Store
from adapters.store.webhook_outbox import WebhookOutbox
from tests.drills.processes import free_port
from tests.harness import Live, LoopDriver
from tests.integration.test_ingress import signed, webhook_body
from tests.workflow.support import eventually
from workers import ops
from workers.forwarder_service import run_forwarder
from workers.ingress import create_ingress
from workers.temporal import connect


@pytest.fixture(scope="module")
def store_acked(live: Live) -> Live:
    return replace(live, settings=live.settings.model_copy(update={"ingress_ack": "store"}))


@pytest.fixture(scope="module")
def ingress(store_acked: Live) -> Iterator[ServedApp]:
    app = create_ingress(store_acked.settings, store_acked.client, store_acked.store)
    with ServedApp(app, name="ingress-store-ack") as srv:
        yield srv


async def queued_by_a_dead_ingress(live: Live, loop_driver: LoopDriver) -> str:
    """A new return's webhook, acked from the store by an ingress that died before forwarding."""
    body, rid = await webhook_body(loop_driver)
    event = parse_webhook(body, datetime.now(UTC))
    live.store.record_webhook(
        uuid.uuid4().hex,
        received_at=event.received_at,
        body=body,
        status_code=202,
        accepted=True,
        signature_ok=True,
        return_id=rid,
        digest=event.digest,
        event=event.model_dump(mode="json"),
    )
    return rid


def forwarded(store: Store, rid: str) -> bool:
    return all(w.forwarded_at is not None for w in store.list_webhooks(return_id=rid))


async def test_acked_from_the_store_then_forwarded_to_temporal(
    http: httpx.AsyncClient, live: Live, loop_driver: LoopDriver
) -> None:
    body, rid = await webhook_body(loop_driver)
    response = await http.post("/webhooks/loop", content=body, headers=signed(body))
    assert response.status_code == 202, response.text
    assert response.json() == {"ok": True, "workflow_id": f"return-{rid}", "queued": True}
    status = await ops.wait_for_state(live.client, rid, {"authorized"})
    assert status.events_seen == 1
    await eventually(lambda: asyncio.to_thread(forwarded, live.store, rid), bool, what="marked")
    [row] = live.store.list_webhooks(return_id=rid)
    assert (row.accepted, row.status_code, row.event is not None) == (True, 202, True)

    again = await http.post("/webhooks/loop", content=body, headers=signed(body))
    assert again.status_code == 202  # Loop's retry: queued, forwarded, dropped by the workflow
    await eventually(lambda: asyncio.to_thread(forwarded, live.store, rid), bool, what="marked")
    assert (await ops.status(live.client, rid)).events_seen == 1


async def test_what_a_dead_ingress_acked_is_forwarded_by_the_next(
    live: Live, loop_driver: LoopDriver, ingress: ServedApp
) -> None:
    rid = await queued_by_a_dead_ingress(live, loop_driver)
    status = await ops.wait_for_state(live.client, rid, {"authorized"}, timeout=20)
    assert status.events_seen == 1
    await eventually(lambda: asyncio.to_thread(forwarded, live.store, rid), bool, what="marked")
    count, _ = WebhookOutbox(live.store).backlog()
    assert count == 0
    async with httpx.AsyncClient(base_url=ingress.url, timeout=30) as client:
        health = (await client.get("/healthz")).json()
    assert health == {"ok": True, "temporal": "ok", "forward_backlog": 0, "oldest_waiting": None}


async def test_no_store_write_no_ack_and_not_ready(
    http: httpx.AsyncClient, live: Live, loop_driver: LoopDriver, tmp_path
) -> None:
    body, rid = await webhook_body(loop_driver)
    broken = Store.from_url(f"sqlite:///{tmp_path / 'broken.db'}")
    broken.create_all()
    with broken.engine.begin() as conn:
        conn.execute(text("DROP TABLE webhooks"))
    settings = live.settings.model_copy(update={"ingress_ack": "store"})
    with ServedApp(create_ingress(settings, live.client, broken), name="ingress-broken") as srv:
        async with httpx.AsyncClient(base_url=srv.url, timeout=30) as client:
            response = await client.post("/webhooks/loop", content=body, headers=signed(body))
            health = await client.get("/healthz")
    assert response.status_code == 503  # nothing durable holds it: Loop must send it again
    assert live.store.list_webhooks(return_id=rid) == []
    assert health.status_code == 503  # out of rotation until the store answers again
    assert health.json()["ok"] is False and "webhooks" in health.json()["store"]


def test_store_ack_without_a_store_is_refused_at_start(live: Live) -> None:
    settings = live.settings.model_copy(update={"ingress_ack": "store"})
    with pytest.raises(ValueError, match="RETURNFLOW_INGRESS_ACK=store"):
        create_ingress(settings, live.client, None)


async def test_an_unreadable_queued_event_is_set_aside_and_blocks_nothing(
    live: Live, loop_driver: LoopDriver, ingress: ServedApp
) -> None:
    received = datetime.now(UTC)
    poison = uuid.uuid4().hex
    live.store.record_webhook(  # queued by an older version with another event shape
        poison,
        received_at=received,
        body=b"{}",
        status_code=202,
        accepted=True,
        signature_ok=True,
        event={"topic": "return"},
    )
    rid = await queued_by_a_dead_ingress(live, loop_driver)
    await ops.wait_for_state(live.client, rid, {"authorized"}, timeout=20)

    async def set_aside() -> str | None:
        row = await asyncio.to_thread(live.store.get_webhook, poison)
        return row.error if row is not None and row.forwarded_at is not None else None

    note = await eventually(set_aside, bool, what="the unreadable event set aside")
    assert note is not None and note.startswith("unreadable queued event")


async def test_a_separate_forwarder_process_forwards_what_the_ingress_acked(
    live: Live, loop_driver: LoopDriver, tmp_path
) -> None:
    """RETURNFLOW_INGRESS_FORWARDER=separate: the ingress only acks; `returnflow forwarder`
    (run_forwarder) finds the queued event by polling and stops cleanly when told. Its own
    store, so this module's inline forwarder cannot take the event first."""
    settings = live.settings.model_copy(
        update={
            "ingress_ack": "store",
            "ingress_forwarder": "separate",
            "ingress_forward_poll_s": 0.1,
            "store_url": f"sqlite:///{tmp_path / 'separate.db'}",
            "temporal_address": live.client.service_client.config.target_host,
        }
    )
    store = Store.from_url(settings.store_url)
    store.create_all()
    body, rid = await webhook_body(loop_driver)
    with ServedApp(create_ingress(settings, live.client, store), name="ingress-only") as srv:
        async with httpx.AsyncClient(base_url=srv.url, timeout=30) as client:
            response = await client.post("/webhooks/loop", content=body, headers=signed(body))
            assert response.status_code == 202, response.text
            await asyncio.sleep(0.5)  # no forwarder in this process: the event only waits
            assert not forwarded(store, rid)
            health = (await client.get("/healthz")).json()
            assert health["forward_backlog"] == 1

    stop = asyncio.Event()
    service = asyncio.create_task(run_forwarder(settings, stop))
    try:
        status = await ops.wait_for_state(live.client, rid, {"authorized"}, timeout=20)
        assert status.events_seen == 1
        await eventually(lambda: asyncio.to_thread(forwarded, store, rid), bool, what="marked")
        assert not service.done()  # it keeps polling until stopped
    finally:
        stop.set()
        await asyncio.wait_for(service, 10)
    assert WebhookOutbox(store).backlog() == (0, None)


async def test_with_temporal_down_the_store_acked_ingress_stays_ready_and_acks(
    live: Live, loop_driver: LoopDriver, tmp_path
) -> None:
    """What store acks are for: Temporal unreachable, Loop still gets its 2xx and /healthz keeps
    the ingress in rotation (reporting Temporal's state and the growing backlog); the event is
    forwarded once Temporal is back (here: by a forwarder with a working client)."""
    settings = live.settings.model_copy(
        update={"ingress_ack": "store", "store_url": f"sqlite:///{tmp_path / 'down.db'}"}
    )
    store = Store.from_url(settings.store_url)
    store.create_all()
    nobody = settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})
    down = await connect(nobody, lazy=True)  # as `returnflow ingress` does with ack=store
    body, rid = await webhook_body(loop_driver)
    with ServedApp(create_ingress(settings, down, store), name="ingress-temporal-down") as srv:
        async with httpx.AsyncClient(base_url=srv.url, timeout=30) as client:
            response = await client.post("/webhooks/loop", content=body, headers=signed(body))
            assert response.status_code == 202, response.text
            health = await client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["temporal"] != "ok"
    assert health.json()["forward_backlog"] == 1
    assert not forwarded(store, rid)

    stop = asyncio.Event()
    back = settings.model_copy(
        update={"temporal_address": live.client.service_client.config.target_host}
    )
    service = asyncio.create_task(run_forwarder(back, stop))
    try:
        status = await ops.wait_for_state(live.client, rid, {"authorized"}, timeout=20)
        assert status.events_seen == 1
    finally:
        stop.set()
        await asyncio.wait_for(service, 10)
