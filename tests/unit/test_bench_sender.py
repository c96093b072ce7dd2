"""The ingress benchmark's raw HTTP/1.1 sender: what it times must be what an ingress received."""

from __future__ import annotations

import json

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from adapters.loop.signature import HEADER, verify_any
from adapters.sandbox.server import ServedApp
from tests.bench.sender import blast
from tests.harness import WEBHOOK_SECRET


async def test_every_body_arrives_signed_and_every_answer_is_timed() -> None:
    received: list[tuple[bytes, bool]] = []
    app = FastAPI()

    @app.post("/webhooks/loop")
    async def hook(request: Request) -> JSONResponse:
        raw = await request.body()
        received.append((raw, verify_any(raw, request.headers.get(HEADER), [WEBHOOK_SECRET])))
        status = 202 if len(received) % 10 else 401  # every tenth refused: statuses are read
        return JSONResponse({"ok": status == 202, "pad": "x" * len(received)}, status_code=status)

    bodies = [json.dumps({"id": i}).encode() for i in range(40)]
    with ServedApp(app, name="sender-test") as served:
        sent = await blast(served.url, bodies, rate=400)

    assert sorted(raw for raw, _ in received) == sorted(bodies)
    assert all(signed for _, signed in received)
    assert sent["statuses"] == {"202": 36, "401": 4}
    assert len(sent["latencies_ms"]) == 40 and all(ms > 0 for ms in sent["latencies_ms"])
    assert 1 <= sent["connections"] < 40  # keep-alive connections were reused
