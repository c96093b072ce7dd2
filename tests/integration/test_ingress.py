"""The webhook ingress over real HTTP: signatures, malformed bodies, duplicates, the log."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from temporalio.service import RPCError

from adapters.loop.signature import loop_json, sign
from adapters.sandbox.server import ServedApp
from tests.harness import WEBHOOK_SECRET, Live, LoopDriver
from workers import ops
from workers.ingress import create_ingress


@pytest.fixture(scope="module")
def ingress(live: Live) -> Iterator[ServedApp]:
    with ServedApp(create_ingress(live.settings, live.client, live.store), name="ingress") as srv:
        yield srv


async def webhook_body(loop_driver: LoopDriver) -> tuple[bytes, str]:
    loop_return = await loop_driver.create("#1001", skus=["TEE-BLK-M"])
    body = loop_json({"topic": "return", "trigger": "return.created", **loop_return})
    return body, loop_return["id"]


def signed(body: bytes, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    return {"X-Loop-Signature": sign(body, secret), "Content-Type": "application/json"}


async def test_valid_signature_starts_the_return(
    http: httpx.AsyncClient, live: Live, loop_driver: LoopDriver
) -> None:
    body, rid = await webhook_body(loop_driver)
    response = await http.post("/webhooks/loop", content=body, headers=signed(body))
    assert response.status_code == 202, response.text
    assert response.json()["workflow_id"] == f"return-{rid}"
    status = await ops.wait_for_state(live.client, rid, {"authorized"})
    assert status.events_seen == 1
    logged = live.store.list_webhooks(return_id=rid)
    assert [(w.accepted, w.status_code, w.signature_ok) for w in logged] == [(True, 202, True)]


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda b, h: (b + b" ", h), id="tampered-body"),
        pytest.param(lambda b, h: (b, signed(b, "wrong-secret")), id="wrong-secret"),
        pytest.param(lambda b, h: (b, {"Content-Type": "application/json"}), id="missing-header"),
        pytest.param(
            lambda b, h: (b, {**h, "X-Loop-Signature": "not base64!"}), id="garbage-header"
        ),
    ],
)
async def test_bad_signatures_are_refused_and_logged(
    http: httpx.AsyncClient, live: Live, loop_driver: LoopDriver, mangle
) -> None:
    body, rid = await webhook_body(loop_driver)
    sent_body, headers = mangle(body, signed(body))
    response = await http.post("/webhooks/loop", content=sent_body, headers=headers)
    assert response.status_code == 401
    refused = [w for w in live.store.list_webhooks(accepted=False, limit=5) if w.status_code == 401]
    assert refused and refused[0].signature_ok is False
    with pytest.raises(RPCError):  # no workflow was started for a refused delivery
        await ops.status(live.client, rid)


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        pytest.param(b"{not json", 400, id="not-json"),
        pytest.param(b"[1,2,3]", 422, id="not-an-object"),
        pytest.param(
            json.dumps({"topic": "return", "trigger": "return.created"}).encode(),
            422,
            id="no-return-id",
        ),
        pytest.param(
            json.dumps(
                {
                    "topic": "return",
                    "trigger": "return.created",
                    "id": "9",
                    "currency": "GBP",
                    "total": "x!",
                }
            ).encode(),
            422,
            id="bad-money",
        ),
    ],
)
async def test_malformed_bodies_answer_4xx_and_are_recorded(
    http: httpx.AsyncClient, live: Live, raw: bytes, status: int
) -> None:
    response = await http.post("/webhooks/loop", content=raw, headers=signed(raw))
    assert response.status_code == status, response.text
    assert "error" in response.json()
    latest = live.store.list_webhooks(limit=1)[0]
    assert (latest.status_code, latest.accepted, latest.signature_ok) == (status, False, True)
    assert latest.body.encode() == raw if isinstance(latest.body, str) else latest.body == raw


async def test_duplicate_delivery_starts_no_second_workflow(
    http: httpx.AsyncClient, live: Live, loop_driver: LoopDriver
) -> None:
    body, rid = await webhook_body(loop_driver)
    first = await http.post("/webhooks/loop", content=body, headers=signed(body))
    again = await http.post("/webhooks/loop", content=body, headers=signed(body))
    assert first.status_code == again.status_code == 202
    handle = ops.handle(live.client, rid)
    runs = [w async for w in live.client.list_workflows(f'WorkflowId = "return-{rid}"')]
    status = await ops.wait_for_state(live.client, rid, {"authorized"})
    assert status.events_seen == 1  # the same body (same digest) counts once
    described = await handle.describe()
    assert described.run_id and len({r.run_id for r in runs} | {described.run_id}) == 1


async def test_healthz(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True}
