"""The SuiteTalk REST paths a production client calls: records, transforms, SuiteQL and
governance limits. Writes answer 204 with the new record's URL in Location."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response

from adapters.erp.netsuite import wire

from . import suiteql, transforms, writes
from .account import SandboxAccount
from .errors import NsError, invalid_request
from .render import render
from .responses import NsJSONResponse
from .schema import BODY, check_names
from .store import canonical_type


async def _body(request: Request, record_type: str, custom: tuple[str, ...] = ()) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = wire.loads(raw) if raw.strip() else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise invalid_request("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise invalid_request("The request body must be a JSON object.")
    mode = request.headers.get(wire.PROPERTY_NAME_VALIDATION, "Warning")
    check_names(body, record_type, mode, custom)
    return body


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _created(request: Request, record_type: str, record_id: str) -> Response:
    location = f"{_base(request)}{wire.record_path(record_type, record_id)}"
    return Response(status_code=204, headers={"Location": location})


def api_router(account: SandboxAccount) -> APIRouter:
    router = APIRouter()
    records = wire.RECORD_PATH

    @router.get(records + "/{record_type}/{record_id}")
    async def get_record(record_type: str, record_id: str, request: Request) -> Response:
        rtype = canonical_type(record_type)
        record = account.store.get(rtype, record_id)
        expand = request.query_params.get("expandSubResources", "").lower() == "true"
        return NsJSONResponse(render(account.store, record, _base(request), expand=expand))

    @router.post(records + "/{record_type}/{record_id}/!transform/{to_type}")
    async def transform(
        record_type: str, record_id: str, to_type: str, request: Request
    ) -> Response:
        source, target = canonical_type(record_type), canonical_type(to_type)
        if target not in transforms.TARGETS:
            raise invalid_request(f"A {source} cannot be transformed into a {target}.")
        body = await _body(request, target)
        replace = {p for p in request.query_params.get("replace", "").split(",") if p}
        record = transforms.transform(
            account.store, account.prefs, source, record_id, target, body, replace
        )
        return _created(request, record.type, record.id)

    @router.post(records + "/{record_type}")
    async def create(record_type: str, request: Request) -> Response:
        rtype = canonical_type(record_type)
        if rtype not in writes.CREATES:
            raise invalid_request(f"The sandbox cannot create a {rtype} with POST.")
        record = writes.create(account.store, account.prefs, rtype, await _body(request, rtype))
        return _created(request, record.type, record.id)

    @router.put(records + "/{record_type}/{record_id}")
    async def upsert(record_type: str, record_id: str, request: Request) -> Response:
        rtype = canonical_type(record_type)
        if rtype not in writes.CREATES:
            raise invalid_request(f"The sandbox cannot upsert a {rtype}.")
        body = await _body(request, rtype)
        record = writes.upsert(account.store, account.prefs, rtype, record_id, body)
        return _created(request, record.type, record.id)

    @router.patch(records + "/{record_type}/{record_id}")
    async def update(record_type: str, record_id: str, request: Request) -> Response:
        rtype = canonical_type(record_type)
        if rtype not in BODY:
            raise invalid_request(f"The sandbox cannot update a {rtype}.")
        custom = account.prefs.ra_checkboxes if rtype == "returnAuthorization" else ()
        body = await _body(request, rtype, custom)
        writes.patch(account.store, account.prefs, rtype, record_id, body)
        return Response(status_code=204)

    @router.post(wire.SUITEQL_PATH)
    async def query(request: Request) -> Response:
        if "transient" not in request.headers.get("prefer", "").lower():
            raise invalid_request("SuiteQL requests need the header 'Prefer: transient'.")
        try:
            body = wire.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise invalid_request("The request body is not valid JSON.") from None
        try:
            limit = int(request.query_params.get("limit", "1000"))
            offset = int(request.query_params.get("offset", "0"))
        except ValueError:
            raise invalid_request("limit and offset must be whole numbers.") from None
        page = suiteql.run(
            account.store, body, limit, offset, str(request.url), account.prefs.ra_checkboxes
        )
        return NsJSONResponse(page)

    @router.get(wire.GOVERNANCE_PATH)
    async def governance_limits() -> Response:
        if not account.governance.readable:
            raise NsError(
                403,
                "INSUFFICIENT_PERMISSION",
                "Permission Violation: you need the Administrator role to read governance limits.",
            )
        return NsJSONResponse(account.governance.limits())

    return router
