"""A caller that hangs up mid-request (a SIGKILLed worker) gets no answer and changes nothing:
the SOAP sandboxes answer it quietly instead of logging a traceback per killed call."""

from __future__ import annotations

from typing import Any

import httpx

from adapters.sandbox.catalog import demo_catalog
from adapters.sandbox.khaos import create_khaos_sandbox
from adapters.sandbox.khaos.app import soap_path


async def test_a_request_whose_caller_hung_up_is_answered_quietly_and_writes_nothing() -> None:
    app = create_khaos_sandbox(demo_catalog(), username="u", password="p")
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": soap_path(),
        "raw_path": soap_path().encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"text/xml"), (b"content-length", b"400")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    await app(scope, receive, send)  # raised ClientDisconnect through the app before

    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 499
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        records = (await client.get("/_sandbox/records")).json()
    assert records["calls"] == []
