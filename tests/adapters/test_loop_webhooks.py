"""The sandbox delivers signed webhooks the way Loop does, to a real receiver on loopback."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from adapters.loop.client import LoopClient
from adapters.loop.payload import parse_webhook
from adapters.loop.signature import HEADER, verify
from adapters.sandbox.catalog import demo_catalog
from adapters.sandbox.loop import LoopSandboxControl, create_loop_sandbox
from adapters.sandbox.server import ServedApp
from tests.adapters.loop_fixtures import *  # noqa: F403
from tests.adapters.loop_fixtures import API_KEY, WEBHOOK_SECRET


class Receiver:
    """A tiny webhook endpoint: verifies like the ingress would, and can be told to fail."""

    def __init__(self, secret: str) -> None:
        self.received: list[dict[str, Any]] = []
        self.fail_next = 0
        self.app = FastAPI()

        @self.app.post("/hooks/loop")
        async def hook(request: Request) -> Response:
            raw = await request.body()
            valid = verify(raw, request.headers.get(HEADER), secret)
            failing = self.fail_next > 0
            self.received.append(
                {
                    "raw": raw,
                    "signature": request.headers.get(HEADER),
                    "content_type": request.headers.get("content-type"),
                    "valid": valid,
                    "answered": 500 if failing else (200 if valid else 401),
                }
            )
            if failing:
                self.fail_next -= 1
                return Response(status_code=500)
            return Response(status_code=200 if valid else 401)


@pytest.fixture(scope="session")
def receiver_served() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver(WEBHOOK_SECRET)
    with ServedApp(receiver.app, name="loop-receiver") as served:
        yield receiver, f"{served.url}/hooks/loop"


@pytest.fixture
def receiver(receiver_served: tuple[Receiver, str]) -> Receiver:
    receiver_served[0].received.clear()
    receiver_served[0].fail_next = 0
    return receiver_served[0]


@pytest.fixture
def receiver_url(receiver_served: tuple[Receiver, str]) -> str:
    return receiver_served[1]


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A port that is bound but never listens: every delivery is a connection error."""
    with socket.socket() as idle:
        idle.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{idle.getsockname()[1]}/hooks"


def ok(received: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in received if r["answered"] == 200]


async def test_every_signed_webhook_arrives_once_and_verifies(
    loop_control: LoopSandboxControl,
    loop_client: LoopClient,
    receiver: Receiver,
    receiver_url: str,
) -> None:
    await loop_control.webhook_target(receiver_url)
    rid = (await loop_control.create_return("#1001", outcome="store_credit"))["id"]
    assert await loop_client.process_return(rid)
    await loop_control.flush()
    by_trigger: dict[str, bytes] = {}
    for hit in receiver.received:
        assert hit["valid"] and hit["content_type"] == "application/json"
        event = parse_webhook(hit["raw"], datetime.now(UTC))
        assert event.return_id == rid
        assert event.trigger not in by_trigger
        by_trigger[event.trigger] = hit["raw"]
    # Loop promises no order (each subscription delivers on its own), so none is asserted
    assert sorted(by_trigger) == sorted(
        ["return.created", "return.updated", "return.closed", "giftcard.requested"]
    )
    assert (
        b"https:\\/\\/" in by_trigger["return.created"]
    )  # PHP-style escaped slashes, signed as sent
    records = await loop_control.records()
    sent = {e["digest"] for e in records["webhook_events"]}
    assert {hashlib.sha256(hit["raw"]).hexdigest() for hit in receiver.received} == sent
    assert all(d["ok"] and d["attempt"] == 1 for d in records["webhook_deliveries"])


async def test_a_tampered_body_fails_verification(
    loop_control: LoopSandboxControl, receiver: Receiver, receiver_url: str
) -> None:
    await loop_control.webhook_target(receiver_url)
    await loop_control.create_return("#1002", wait=True)
    [hit] = receiver.received
    tampered = hit["raw"].replace(b'"refund":"', b'"refund":"1')
    assert tampered != hit["raw"]
    assert not verify(tampered, hit["signature"], WEBHOOK_SECRET)
    assert not verify(hit["raw"], hit["signature"], "another-secret")
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            receiver_url,
            content=tampered,
            headers={HEADER: hit["signature"], "Content-Type": "application/json"},
        )
    assert answer.status_code == 401


async def test_only_active_matching_subscriptions_receive(
    loop_control: LoopSandboxControl,
    loop_client: LoopClient,
    receiver: Receiver,
    receiver_url: str,
) -> None:
    await loop_client.create_webhook("return", "return.created", receiver_url)
    await loop_client.create_webhook("return", "return.created", receiver_url, status="inactive")
    await loop_client.create_webhook("label", "label.updated", receiver_url)
    rid = (await loop_control.create_return("#1003", wait=True))["id"]
    await loop_control.label(rid, "in_transit", tracking_number="RM123456785GB", wait=True)
    await loop_control.restock(rid, wait=True)  # nobody subscribed to restock
    events = [parse_webhook(hit["raw"], datetime.now(UTC)) for hit in receiver.received]
    assert [(e.topic, e.trigger) for e in events] == [
        ("return", "return.created"),
        ("label", "label.updated"),
    ]
    label = events[1]
    assert (label.return_id, label.label_status, label.tracking_number, label.carrier) == (
        rid,
        "in_transit",
        "RM123456785GB",
        "Royal Mail",
    )


async def test_processing_failure_is_announced(
    loop_control: LoopSandboxControl,
    loop_client: LoopClient,
    receiver: Receiver,
    receiver_url: str,
) -> None:
    await loop_control.webhook_target(receiver_url)
    rid = (await loop_control.create_return("#1004"))["id"]
    await loop_control.fail_processing(rid, "Card declined")
    assert await loop_client.process_return(rid) is True  # queued; fails asynchronously
    await loop_control.flush()
    assert (await loop_client.get_return(rid)).state == "open"
    failed = parse_webhook(receiver.received[-1]["raw"], datetime.now(UTC))
    assert (failed.topic, failed.return_id, failed.state) == ("return.processing", rid, "open")
    assert await loop_client.process_return(rid) is True  # the retry succeeds
    assert (await loop_client.get_return(rid)).state == "closed"


async def test_failed_attempts_are_retried_and_success_resets_the_count(
    loop_control: LoopSandboxControl, receiver: Receiver, receiver_url: str
) -> None:
    [hook] = [
        h
        for h in await loop_control.webhook_target(receiver_url)
        if h["trigger"] == "return.created"
    ]
    receiver.fail_next = 2
    await loop_control.create_return("#1005", wait=True)
    records = await loop_control.records()
    deliveries = [d for d in records["webhook_deliveries"] if d["subscription_id"] == hook["id"]]
    assert [(d["attempt"], d["ok"]) for d in deliveries] == [(1, False), (2, False), (3, True)]
    assert len(ok(receiver.received)) == 1
    receiver.fail_next = 4 * 3  # three deliveries fail every attempt
    for _ in range(4):
        await loop_control.create_return("#1006", skus=["TEE-BLK-L"], wait=True)
    records = await loop_control.records()
    assert records["webhook_failures"][str(hook["id"])] == 0  # the fourth got through
    assert len(ok(receiver.received)) == 2


async def test_more_than_ten_consecutive_failures_deactivate_the_subscription(
    loop_control: LoopSandboxControl, loop_client: LoopClient, refused_url: str
) -> None:
    hook = await loop_client.create_webhook("return", "return.created", refused_url)
    for n in range(1, 12):
        await loop_control.create_return("#1006", skus=["TEE-BLK-L"], wait=True)
        [current] = await loop_client.list_webhooks()
        assert current["status"] == ("active" if n <= 10 else "inactive"), n
    await loop_control.create_return("#1006", skus=["TEE-BLK-L"], wait=True)
    records = await loop_control.records()
    deliveries = records["webhook_deliveries"]
    assert len(deliveries) == 11 * 4  # nothing is sent to an inactive subscription
    assert {d["status_code"] for d in deliveries} == {None}
    assert {d["error"] for d in deliveries} == {"ConnectError"}
    await loop_client.update_webhook(
        hook["id"], "return", "return.created", refused_url, status="active"
    )
    records = await loop_control.records()
    assert records["webhook_failures"][str(hook["id"])] == 0  # re-enabling starts afresh


@pytest.fixture
async def subscribed_sandbox(
    receiver_url: str,
) -> AsyncIterator[LoopSandboxControl]:
    app = create_loop_sandbox(
        demo_catalog(), API_KEY, WEBHOOK_SECRET, webhook_url=receiver_url, retry_delays=(0, 0, 0)
    )
    with ServedApp(app, name="loop-subscribed") as served:
        async with LoopSandboxControl(served.url) as control:
            yield control


async def test_webhook_url_subscribes_every_emitted_topic_and_survives_reset(
    subscribed_sandbox: LoopSandboxControl, receiver: Receiver
) -> None:
    await subscribed_sandbox.reset()
    rid = (await subscribed_sandbox.create_return("#1001", wait=True))["id"]
    await subscribed_sandbox.restock(rid, wait=True)
    events = [parse_webhook(hit["raw"], datetime.now(UTC)) for hit in receiver.received]
    assert [(e.trigger, e.return_id) for e in events] == [
        ("return.created", rid),
        ("restock.requested", rid),
    ]
    hooks = (await subscribed_sandbox.records())["webhooks"]
    assert len(hooks) == 7 and {h["status"] for h in hooks} == {"active"}
