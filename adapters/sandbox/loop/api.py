"""Loop's real API paths (mounted under /api/v1 and /api/2026-10), every one behind the key.

Handlers parse queries and bodies themselves so each refusal has Loop's own body shape rather
than FastAPI's. Successes of actions are the JSON string "true"; state refusals are an errors
body with HTTP 200, as the derived spec records.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from adapters.sandbox.loop import dispositioning, listing
from adapters.sandbox.loop.errors import UNAUTHORIZED, LoopHttpError, coded, invalid, not_found
from adapters.sandbox.loop.returns import iso
from adapters.sandbox.loop.state import LoopState, now
from adapters.sandbox.loop.webhooks import ALL_TRIGGERS, TRIGGERS

NOTE_LIMIT = 255


async def _json(request: Request) -> Any:
    """The request's JSON body; None when empty; 422 when not JSON."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return await request.json()
    except ValueError:
        raise LoopHttpError(422, {"message": "The request body is not valid JSON."}) from None


def _hook_id(value: str) -> int:
    if not value.isdigit():
        raise not_found("Webhook")
    return int(value)


def _hook_fields(body: Any, code: str, *, require_all: bool) -> dict[str, Any]:
    body = body if isinstance(body, dict) else {}
    topic, trigger, url = body.get("topic"), body.get("trigger"), body.get("url")
    status = body.get("status")
    problems = []
    if require_all and not all((topic, trigger, url)):
        problems.append("topic, trigger and url are required")
    if topic not in TRIGGERS:
        problems.append(f"the topic {topic!r} is invalid")
    if trigger not in ALL_TRIGGERS:
        problems.append(f"the trigger {trigger!r} is invalid")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        problems.append("the url must be a valid URL")
    if status is not None and status not in ("active", "inactive"):
        problems.append("the status must be active or inactive")
    if problems:
        raise LoopHttpError(422, coded("; ".join(problems), code))
    return {"topic": topic, "trigger": trigger, "url": url, "status": status}


def real_api(world: LoopState, api_key: str) -> APIRouter:
    async def authorized(request: Request) -> None:
        if request.headers.get("X-Authorization") != api_key:
            raise LoopHttpError(401, UNAUTHORIZED)

    router = APIRouter(dependencies=[Depends(authorized)])

    # --- return data ----------------------------------------------------------------------

    @router.get("/warehouse/return/details")
    async def details(request: Request) -> Any:
        params = request.query_params
        given = [key for key in ("return_id", "order_id", "order_name") if params.get(key)]
        if len(given) != 1:
            raise invalid({"return_id": ["Exactly one of return_id, order_id, order_name."]})
        key = given[0]
        if key == "return_id":
            return world.get(params["return_id"]).obj
        field = "provider_order_id" if key == "order_id" else "order_name"
        matches = [s for s in world.returns.values() if str(s.obj[field]) == params[key]]
        if not matches:
            raise not_found("Order", "ORDER_NOT_FOUND")
        return max(matches, key=lambda s: s.created).obj  # the latest return of the order

    @router.get("/warehouse/return/list")
    async def return_list(request: Request) -> Any:
        query = listing.parse_query(request.query_params, now())
        rows = world.listed(query.field, query.start, query.end, query.states)
        return listing.page(rows, query, request.url)

    # --- return actions -------------------------------------------------------------------

    @router.post("/warehouse/return/{return_id}/process")
    async def process(return_id: str, request: Request) -> Any:
        world.get(return_id)
        body = await _json(request)
        if body is not None and not isinstance(body, dict):
            raise invalid({"body": ["Additional details must be an object."]})
        return world.process(return_id, body)

    def simple(action: str) -> Any:
        async def handler(return_id: str) -> Any:
            return world.simple_action(action, return_id)

        return handler

    for action in ("cancel", "close", "flag"):
        router.add_api_route(
            f"/warehouse/return/{{return_id}}/{action}", simple(action), methods=["POST"]
        )

    # --- notes ----------------------------------------------------------------------------

    @router.post("/warehouse/return/{return_id}/note")
    async def add_note(return_id: str, request: Request) -> Any:
        world.get(return_id)
        body = await _json(request)
        content = body.get("content") if isinstance(body, dict) else None
        if not isinstance(content, str) or not content.strip():
            raise invalid({"content": ["The content field is required."]})
        if len(content) > NOTE_LIMIT:
            raise invalid({"content": [f"The content may not be greater than {NOTE_LIMIT}."]})
        notes = world.notes.setdefault(return_id, [])
        notes.append({"id": world.ids.take("note"), "content": content, "created_at": iso(now())})
        return "true"

    @router.get("/warehouse/return/{return_id}/notes")
    async def get_notes(return_id: str) -> Any:
        world.get(return_id)
        notes = world.notes.get(return_id)
        if not notes:
            raise LoopHttpError(422, {"message": "No notes found for this return."})
        return {"notes": notes}

    # --- grading and disposition ----------------------------------------------------------

    @router.post("/dispositioning/grade")
    async def grade(request: Request) -> Any:
        return await _dispositioning("grade", request)

    @router.post("/dispositioning/assess")
    async def assess(request: Request) -> Any:
        return await _dispositioning("assess", request)

    async def _dispositioning(kind: str, request: Request) -> Any:
        body = await _json(request)
        accepted = dispositioning.validate(body, kind, world.line_owner)
        sink = world.grades if kind == "grade" else world.dispositions
        stamp = iso(now())
        for return_id, item in accepted:
            sink.append({**item, "return_id": return_id, "recorded_at": stamp})
        return [item for _, item in accepted]

    # --- programmatic webhooks ------------------------------------------------------------

    @router.get("/webhooks")
    async def list_webhooks() -> Any:
        return {"webhooks": list(world.hooks.subscriptions.values())}

    @router.post("/webhooks")
    async def create_webhook(request: Request) -> Any:
        fields = _hook_fields(await _json(request), "FAILED_TO_CREATE_WEBHOOK", require_all=True)
        status = fields.pop("status") or "inactive"  # Loop's default: send "active" explicitly
        hook = world.hooks.subscribe(status=status, **fields)
        return JSONResponse(hook, status_code=201)

    @router.put("/webhooks/{hook_id}")
    async def update_webhook(hook_id: str, request: Request) -> Response:
        number = _hook_id(hook_id)
        if number not in world.hooks.subscriptions:
            raise not_found("Webhook")
        fields = _hook_fields(await _json(request), "FAILED_TO_UPDATE_WEBHOOK", require_all=True)
        world.hooks.update(number, **fields)
        return Response(status_code=204)

    @router.delete("/webhooks/{hook_id}")
    async def delete_webhook(hook_id: str) -> Response:
        number = _hook_id(hook_id)
        if number not in world.hooks.subscriptions:
            raise not_found("Webhook")
        world.hooks.delete(number)
        return Response(status_code=204)

    return router


def call_record(request: Request, status: int) -> dict[str, Any]:
    return {
        "method": request.method,
        "path": request.url.path,
        "query": dict(request.query_params),
        "status": status,
        "at": iso(datetime.now(UTC)),
    }
