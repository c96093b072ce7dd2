"""A SOAP sandbox shell shared by Khaos and Prima: one real endpoint, the shared fault knobs,
lost answers, and the /_sandbox/ controls every ERP sandbox has (reset, records, faults,
page size).

Each ERP supplies its operations as plain functions `SoapCall -> result string`; a business
refusal the ERP sends as a SOAP Fault is raised as `SoapFault`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.requests import ClientDisconnect

from adapters.erp import soap
from adapters.sandbox.erp_ledger import ErpWorld
from adapters.sandbox.faults import FaultConfig, FaultInjector, install_faults

XML = "text/xml; charset=utf-8"
Operation = Callable[[soap.SoapCall], str]


class SoapFault(Exception):
    def __init__(self, message: str, code: str = "Server") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class SoapService:
    name: str
    path: str
    namespace: str
    operations: dict[str, Operation]
    writes: frozenset[str]
    authenticate: Callable[[soap.SoapCall], str | None] = lambda call: None
    # for services whose writes hide inside one generic operation (Prima's wsomhandler)
    is_write: Callable[[soap.SoapCall], bool] = lambda call: False
    calls: list[str] = field(default_factory=list)  # operation names, in order, for audits
    lose_next: int = 0
    lost: int = 0  # answers lost since the last reset: a drill checks its faults really happened
    in_flight: int = 0
    peak_in_flight: int = 0  # the most requests the service held at once (fault latency included)


class LoseResponsesRequest(BaseModel):
    count: int = Field(ge=0)


def _gateway_error(status: int) -> dict[str, Any]:
    """What a proxy in front of the ERP answers for a bare status: not SOAP."""
    return {"error": "gateway", "status": status}


class PageSettings(BaseModel):
    page_size: int = Field(ge=1)


class StockLevel(BaseModel):
    item: str
    location: str = "MAIN"  # a Khaos location or a Prima depot
    level: int = Field(ge=0)


def create_soap_sandbox(
    service: SoapService, world: ErpWorld, controls: APIRouter | None = None
) -> FastAPI:
    app = FastAPI(title=f"{service.name} sandbox", docs_url="/_sandbox/docs")
    injector = FaultInjector(_gateway_error)

    def fault(message: str, code: str = "Server") -> Response:
        return Response(soap.fault(code, message), status_code=500, media_type=XML)

    @app.post(service.path)
    async def endpoint(request: Request) -> Response:
        try:
            body = await request.body()
        except ClientDisconnect:  # the caller hung up mid-request (a killed worker): nobody
            return Response(status_code=499)  # to answer, and nothing was read or written
        try:
            call = soap.read_call(body)
        except soap.XmlError as exc:
            return fault(f"Malformed SOAP request: {exc}", "Client")
        refused = service.authenticate(call)
        if refused is not None:
            return fault(refused, "Client")
        operation = service.operations.get(call.operation)
        if operation is None:
            return fault(f"Method '{call.operation}' not implemented", "Client")
        service.calls.append(call.operation)
        try:
            result = operation(call)
        except SoapFault as exc:
            return fault(exc.message, exc.code)
        except soap.XmlError as exc:
            return fault(f"Invalid XML argument: {exc}", "Client")
        writes = call.operation in service.writes or service.is_write(call)
        if writes and service.lose_next > 0:
            service.lose_next -= 1  # committed, but the answer never reaches the client
            service.lost += 1
            return JSONResponse(_gateway_error(502), status_code=502)
        return Response(soap.response(call.operation, result, service.namespace), media_type=XML)

    router = APIRouter(prefix="/_sandbox")

    @router.post("/reset")
    async def do_reset() -> dict[str, Any]:
        injector.configure(FaultConfig())
        service.calls.clear()
        service.lose_next = 0
        service.lost = 0
        service.peak_in_flight = 0
        world.reset()
        return {"ok": True}

    @router.get("/records")
    async def records() -> dict[str, Any]:
        return {
            **world.dump(),
            "calls": list(service.calls),
            "peak": service.peak_in_flight,
            "lostAnswers": {"lost": service.lost, "remaining": service.lose_next},
        }

    @router.post("/stock")
    async def stock(body: StockLevel) -> dict[str, Any]:
        world.stock.levels[(body.item, body.location)] = body.level
        return {"ok": True}

    @router.post("/settings")
    async def settings(body: PageSettings) -> dict[str, Any]:
        world.page_size = body.page_size
        return {"ok": True}

    @router.post("/lose-responses")
    async def lose_responses(body: LoseResponsesRequest) -> dict[str, Any]:
        service.lose_next = body.count
        return {"ok": True, "remaining": body.count}

    app.include_router(router)
    if controls is not None:
        app.include_router(controls)
    install_faults(app, injector)

    @app.middleware("http")
    async def count_in_flight(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """Outermost, so injected latency counts as time the service holds the request."""
        if request.url.path != service.path:
            return await call_next(request)
        service.in_flight += 1
        service.peak_in_flight = max(service.peak_in_flight, service.in_flight)
        try:
            return await call_next(request)
        finally:
            service.in_flight -= 1

    return app
