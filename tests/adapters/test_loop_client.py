"""LoopClient against the Loop sandbox over loopback HTTP: the real client, the real paths."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from adapters.errors import (
    AuthError,
    BusinessError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
    RetryableError,
)
from adapters.http import RetryPolicy
from adapters.loop.client import LoopClient, list_windows
from adapters.loop.errors import to_error
from adapters.sandbox.catalog import demo_catalog, unit_amounts
from adapters.sandbox.loop import LoopSandboxControl
from adapters.sandbox.server import ServedApp
from tests.adapters.loop_fixtures import *  # noqa: F403
from tests.adapters.loop_fixtures import API_KEY, FAST_RETRY
from workflows.model import ReturnOutcome

CATALOG = demo_catalog()


def list_calls(records: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in records["api_calls"] if c["path"].endswith("/warehouse/return/list")]


async def test_details_match_the_catalog(
    loop_client: LoopClient, loop_control: LoopSandboxControl
) -> None:
    created = await loop_control.create_return("#1003", outcome="exchange")
    ret = await loop_client.get_return(created["id"])
    assert ret.outcome is ReturnOutcome.EXCHANGE and ret.state == "open"
    assert ret.order.order_name == "#1003" and ret.order.provider_order_id == "5800003"
    expected = {
        "SNK-WHT-42": unit_amounts(CATALOG.item("SNK-WHT-42"), Decimal("0")),
        "TEE-WHT-M": unit_amounts(CATALOG.item("TEE-WHT-M"), Decimal("2.50")),
    }
    for line in ret.lines:
        assert (line.price.amount, line.discount.amount, line.tax.amount) == expected[line.sku]
        assert line.exchange_variant == CATALOG.item(line.sku).variant_id
    raw = await loop_client.get_return_raw(created["id"])
    assert raw["exchanges"] and raw["status_page_url"]  # unknown-to-us fields stay in the raw
    with pytest.raises(NotFoundError):
        await loop_client.get_return("999999")


async def test_the_2026_10_version_serves_the_same_return(
    loop_served: ServedApp, loop_control: LoopSandboxControl
) -> None:
    created = await loop_control.create_return("#1004")
    async with LoopClient(loop_served.url, API_KEY, version="2026-10", retry=FAST_RETRY) as c:
        assert (await c.get_return(created["id"])).return_id == created["id"]
    records = await loop_control.records()
    assert records["api_calls"][-1]["path"] == "/api/2026-10/warehouse/return/details"


async def test_list_follows_next_page_url(
    loop_client: LoopClient, loop_control: LoopSandboxControl
) -> None:
    ids = [(await loop_control.create_return("#1004"))["id"] for _ in range(7)]
    now = datetime.now(UTC)
    seen = [
        row["id"]
        async for row in loop_client.list_returns(
            now - timedelta(hours=1), now + timedelta(minutes=1), filter="created_at", page_size=3
        )
    ]
    assert sorted(seen) == sorted(ids)
    calls = list_calls(await loop_control.records())
    assert (
        len(calls) == 3 and "cursor" in calls[1]["query"] and calls[2]["query"]["pageSize"] == "3"
    )


async def test_the_sandbox_pages_both_ways(
    loop_served: ServedApp, loop_control: LoopSandboxControl
) -> None:
    ids = [(await loop_control.create_return("#1004"))["id"] for _ in range(5)]
    async with httpx.AsyncClient(headers={"X-Authorization": API_KEY}) as http:
        first = (
            await http.get(
                f"{loop_served.url}/api/v1/warehouse/return/list",
                params={"paginate": "true", "pageSize": "2"},
            )
        ).json()
        second = (await http.get(first["nextPageUrl"])).json()
        back = (await http.get(second["previousPageUrl"])).json()
        bare = (await http.get(f"{loop_served.url}/api/v1/warehouse/return/list")).json()
    assert first["previousPageUrl"] is None
    assert [r["id"] for r in first["returns"] + second["returns"]] == ids[:4]
    assert back["returns"] == first["returns"]
    assert [r["id"] for r in bare] == ids  # without paginate: a bare array of the last 24 h


async def test_list_splits_long_ranges_into_120_day_windows(
    loop_client: LoopClient, loop_control: LoopSandboxControl
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    ages = [400, 299, 181, 120, 60, 1]
    for days in ages:
        await loop_control.create_return(
            "#1006", skus=["TEE-BLK-L"], created_at=now - timedelta(days=days)
        )
    rows = [
        row
        async for row in loop_client.list_returns(
            now - timedelta(days=365), now, filter="created_at"
        )
    ]
    assert len(rows) == 5  # the 400-day-old return is outside the range
    calls = list_calls(await loop_control.records())
    assert len(calls) == 4  # 365 days = 120 + 120 + 120 + 5
    for call in calls:
        start = datetime.fromisoformat(call["query"]["from"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(call["query"]["to"].replace("Z", "+00:00"))
        assert end - start <= timedelta(days=120) and call["status"] == 200
    assert list(list_windows(now, now)) == [(now, now)]
    with pytest.raises(ValueError, match="timezone"):
        [r async for r in loop_client.list_returns(datetime(2026, 1, 1), datetime(2026, 2, 1))]


async def test_the_sandbox_refuses_ranges_over_120_days(loop_served: ServedApp) -> None:
    async with httpx.AsyncClient(base_url=loop_served.url) as http:
        answer = await http.get(
            "/api/v1/warehouse/return/list",
            params={"from": "2026-01-01T00:00:00.000Z", "to": "2026-05-02T00:00:00.000Z"},
            headers={"X-Authorization": API_KEY},
        )
    assert answer.status_code == 422
    assert "120 days" in answer.json()["message"]
    error = to_error(answer.status_code, answer.json())
    assert type(error) is BusinessError and "120 days" in str(error)


async def test_list_state_defaults_leave_out_cancelled_and_review(
    loop_client: LoopClient, loop_control: LoopSandboxControl
) -> None:
    open_id = (await loop_control.create_return("#1001"))["id"]
    review_id = (await loop_control.create_return("#1002", state="review"))["id"]
    cancelled_id = (await loop_control.create_return("#1003"))["id"]
    assert await loop_client.cancel_return(cancelled_id)
    now = datetime.now(UTC)
    window = (now - timedelta(hours=1), now + timedelta(minutes=1))

    async def ids(state: str | None) -> list[str]:
        return [r["id"] async for r in loop_client.list_returns(*window, state=state)]

    assert await ids(None) == [open_id]
    assert await ids("review") == [review_id]
    assert await ids("cancelled") == [cancelled_id]


async def test_process_closes_and_a_second_process_is_already_done(
    loop_client: LoopClient, loop_control: LoopSandboxControl
) -> None:
    rid = (await loop_control.create_return("#1001", outcome="store_credit"))["id"]
    assert await loop_client.process_return(rid, {"processed_by": "returnflow"}) is True
    ret = await loop_client.get_return(rid)
    assert ret.state == "closed"
    assert await loop_client.process_return(rid) is False
    records = await loop_control.records()
    assert [a["outcome"] for a in records["actions"]] == ["queued", "UNPROCESSABLE_RETURN"]
    assert records["actions"][0]["details"] == {"processed_by": "returnflow"}
    triggers = [e["trigger"] for e in records["webhook_events"]]
    assert triggers == ["return.created", "return.updated", "return.closed", "giftcard.requested"]


async def test_flagged_returns_cannot_be_processed(
    loop_client: LoopClient, loop_control: LoopSandboxControl
) -> None:
    rid = (await loop_control.create_return("#1002"))["id"]
    assert await loop_client.flag_return(rid) is True
    assert (await loop_client.get_return(rid)).state == "review"
    assert await loop_client.flag_return(rid) is False
    with pytest.raises(ConflictError) as err:
        await loop_client.process_return(rid)
    assert err.value.code == "UNPROCESSABLE_FLAGGED_RETURN" and err.value.status == 200


async def test_cancel_and_close(loop_client: LoopClient, loop_control: LoopSandboxControl) -> None:
    cancelled = (await loop_control.create_return("#1003"))["id"]
    assert await loop_client.cancel_return(cancelled) is True
    assert await loop_client.cancel_return(cancelled) is False
    with pytest.raises(ConflictError, match="cancelled"):
        await loop_client.process_return(cancelled)
    closed = (await loop_control.create_return("#1004"))["id"]
    assert await loop_client.close_return(closed) is True
    assert await loop_client.close_return(closed) is False
    assert (await loop_client.get_return(closed)).state == "closed"
    with pytest.raises(ConflictError, match="closed"):
        await loop_client.cancel_return(closed)
    with pytest.raises(NotFoundError):
        await loop_client.cancel_return("424242")


async def test_notes_respect_the_255_character_limit(
    loop_client: LoopClient, loop_control: LoopSandboxControl, loop_served: ServedApp
) -> None:
    rid = (await loop_control.create_return("#1005"))["id"]
    assert await loop_client.get_notes(rid) == []  # Loop answers 422 when there are none
    await loop_client.add_note(rid, "x" * 255)
    with pytest.raises(ValueError, match="255"):
        await loop_client.add_note(rid, "y" * 256)
    with pytest.raises(ValueError, match="content"):
        await loop_client.add_note(rid, "   ")
    await loop_client.add_note(rid, "z" * 300, truncate=True)
    notes = await loop_client.get_notes(rid)
    assert [len(n["content"]) for n in notes] == [255, 255] and notes[1]["content"].endswith("…")
    async with httpx.AsyncClient(base_url=loop_served.url) as http:
        answer = await http.post(
            f"/api/v1/warehouse/return/{rid}/note",
            json={"content": "y" * 256},
            headers={"X-Authorization": API_KEY},
        )
    assert answer.status_code == 422  # the sandbox enforces it too


async def test_grades_and_dispositions_go_in_batches_of_30(
    loop_client: LoopClient, loop_control: LoopSandboxControl
) -> None:
    created = await loop_control.create_return("#1001")
    line_ids = [line["line_item_id"] for line in created["line_items"]]
    grades = [
        {
            "line_item_id": line_ids[n % 3],
            "description": f"check {n}",
            "condition_category": "grade_a",
        }
        for n in range(31)
    ]
    echoed = await loop_client.grade_items(grades)
    assert len(echoed) == 31 and echoed[0]["line_item_id"] == int(line_ids[0])
    assessed = await loop_client.assess_dispositions(
        [
            {
                "line_item_id": line_ids[0],
                "disposition_outcome": "back_to_stock",
                "inspected_at": "2026-03-01 10:00:00",
            },
            {"line_item_id": line_ids[1], "disposition_outcome": "recycle", "note": "torn"},
        ]
    )
    assert [a["disposition_outcome"] for a in assessed] == ["back_to_stock", "recycle"]
    with pytest.raises(ValueError, match="disposition_outcome"):
        await loop_client.assess_dispositions(
            [{"line_item_id": line_ids[0], "disposition_outcome": "restock"}]
        )
    with pytest.raises(BusinessError, match="line_item_id"):
        await loop_client.grade_items([{"line_item_id": "1", "description": "unknown line"}])
    records = await loop_control.records()
    assert len(records["grades"]) == 31 and len(records["dispositions"]) == 2
    assert {g["return_id"] for g in records["grades"]} == {created["id"]}
    posts = [c for c in records["api_calls"] if c["path"].endswith("/dispositioning/grade")]
    assert [c["status"] for c in posts] == [200, 200, 422]  # 30 + 1, then the refused one


async def test_webhook_subscriptions_crud(loop_client: LoopClient, loop_served: ServedApp) -> None:
    hook = await loop_client.create_webhook("return", "return.created", "https://example.com/h")
    assert hook["status"] == "active" and isinstance(hook["id"], int)
    await loop_client.update_webhook(
        hook["id"], "return", "return.closed", "https://example.com/h2", status="inactive"
    )
    [listed] = await loop_client.list_webhooks()
    assert (listed["trigger"], listed["url"], listed["status"]) == (
        "return.closed",
        "https://example.com/h2",
        "inactive",
    )
    await loop_client.delete_webhook(hook["id"])
    assert await loop_client.list_webhooks() == []
    with pytest.raises(NotFoundError):
        await loop_client.delete_webhook(hook["id"])
    with pytest.raises(BusinessError, match="topic"):
        await loop_client.create_webhook("returns", "return.created", "https://example.com/h")
    async with httpx.AsyncClient(base_url=loop_served.url) as http:  # Loop's default status
        answer = await http.post(
            "/api/v1/webhooks",
            json={"topic": "label", "trigger": "label.updated", "url": "https://example.com/l"},
            headers={"X-Authorization": API_KEY},
        )
    assert answer.status_code == 201 and answer.json()["status"] == "inactive"


async def test_a_wrong_key_is_an_auth_error(
    loop_served: ServedApp, loop_control: LoopSandboxControl
) -> None:
    rid = (await loop_control.create_return("#1001"))["id"]
    async with LoopClient(loop_served.url, "wrong", retry=FAST_RETRY) as client:
        with pytest.raises(AuthError) as err:
            await client.get_return(rid)
    assert err.value.status == 401 and err.value.code == "GEN-UNAUTHORIZED"
    async with httpx.AsyncClient(base_url=loop_served.url) as http:
        answer = await http.get("/api/v1/webhooks")
    assert answer.status_code == 401
    assert answer.json() == {
        "error": {"code": "401", "http_code": "GEN-UNAUTHORIZED", "message": "Unauthorized."}
    }


async def test_429_and_500_are_retried(
    loop_client: LoopClient, loop_control: LoopSandboxControl
) -> None:
    rid = (await loop_control.create_return("#1001"))["id"]
    await loop_control.faults(fail_next=[429, 500, 503])
    assert (await loop_client.get_return(rid)).return_id == rid
    statuses = [c["status"] for c in (await loop_control.records())["api_calls"]]
    assert statuses == [429, 500, 503, 200]


async def test_persistent_failures_raise_typed_errors(
    loop_client: LoopClient, loop_control: LoopSandboxControl, loop_served: ServedApp
) -> None:
    rid = (await loop_control.create_return("#1001"))["id"]
    await loop_control.faults(fail_next=[500] * 4)
    with pytest.raises(RetryableError) as err:
        await loop_client.process_return(rid)
    assert err.value.code == "UNEXPECTED_ERROR" and err.value.status == 500
    await loop_control.faults(fail_next=[429] * 4)
    with pytest.raises(RateLimitedError):
        await loop_client.get_return(rid)
    assert (await loop_client.get_return(rid)).state == "open"  # nothing was processed
    with socket.socket() as idle:  # bound, never listening: connection refused
        idle.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{idle.getsockname()[1]}"
        async with LoopClient(url, API_KEY, retry=RetryPolicy(2, 0.01, 0.01)) as client:
            with pytest.raises(RetryableError) as transport:
                await client.get_return(rid)
    assert transport.value.code == "TRANSPORT"


@pytest.mark.parametrize(
    ("status", "body", "kind", "code"),
    [
        (200, "true", None, None),
        (200, True, None, None),
        (
            200,
            {
                "errors": {
                    "message": "Return is closed and therefore cannot be processed.",
                    "code": "UNPROCESSABLE_RETURN",
                }
            },
            ConflictError,
            "UNPROCESSABLE_RETURN",
        ),
        (
            200,
            {"message": "Return is cancelled and therefore cannot be processed."},
            ConflictError,
            "UNPROCESSABLE_RETURN",
        ),
        (
            401,
            {"error": {"code": "401", "http_code": "GEN-UNAUTHORIZED"}},
            AuthError,
            "GEN-UNAUTHORIZED",
        ),
        (404, {"errors": {"code": "NOT_FOUND"}}, NotFoundError, "NOT_FOUND"),
        (
            200,
            {"errors": {"message": "No order", "code": "ORDER_NOT_FOUND"}},
            NotFoundError,
            "ORDER_NOT_FOUND",
        ),
        (
            422,
            {"message": "bad", "errors": {"from": ["The from is not a valid date."]}},
            BusinessError,
            None,
        ),
        (429, None, RateLimitedError, None),
        (502, "<html>bad gateway</html>", RetryableError, None),
        (
            200,
            {"errors": [{"message": "x", "code": "NOT_AUTHORIZED"}]},
            AuthError,
            "NOT_AUTHORIZED",
        ),
    ],
)
def test_every_error_shape_maps_to_a_typed_error(
    status: int, body: Any, kind: type | None, code: str | None
) -> None:
    error = to_error(status, body)
    if kind is None:
        assert error is None
        return
    assert type(error) is kind and error is not None
    assert (error.code, error.status) == (code, status)


async def test_the_sandbox_can_provoke_mismatches_unknown_skus_and_unknown_orders(
    loop_client: LoopClient, loop_control: LoopSandboxControl
) -> None:
    skewed = await loop_control.create_return(
        "#1002", handling_fee="4.00", refund_skew="1.50", return_id="777"
    )
    ret = await loop_client.get_return("777")
    assert skewed["id"] == "777"
    assert ret.totals.refund.amount == ret.totals.return_total.amount - 4 + Decimal("1.50")
    ghost = await loop_control.create_return(
        "#1001",
        skus=["SCF-RED-OS"],
        extra_lines=[{"sku": "GHOST-1", "price": "9.99", "tax": "2.00"}],
    )
    lines = (await loop_client.get_return(ghost["id"])).lines
    assert [(line.sku, line.price.amount, line.tax.amount) for line in lines][1] == (
        "GHOST-1",
        Decimal("9.99"),
        Decimal("2.00"),
    )
    stray = await loop_control.create_return("#8888", unknown_order=True, skus=["TEE-BLK-M"])
    order = (await loop_client.get_return(stray["id"])).order
    assert order.order_name == "#8888" and order.order_name not in CATALOG.orders
    for bad in (
        {"order_name": "#8888"},
        {"order_name": "#1001", "skus": ["JKT-NVY-M"]},
        {"order_name": "#1001", "skus": ["SCF-RED-OS", "SCF-RED-OS"]},
        {"order_name": "#1002", "return_id": "777"},
    ):
        with pytest.raises(httpx.HTTPStatusError) as err:
            await loop_control.create_return(**bad)
        assert err.value.response.status_code == 422
