"""`create_prima_sandbox`: Prima's OpenEdge web service handler on its real path.

`wsomhandler(Request)` and `comwsomhandler(CompanyId, Request)` each take one XML string and
always answer it inside a successful SOAP reply; controls under /_sandbox/ flip a product's
web-sellable flag and do what a person does to a sales return in Prima's screens (close it, tick
one of its attributes); the shared ones (reset, records, stock, faults) come from soap_app.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException
from pydantic import BaseModel

from adapters.erp.soap import SoapCall, XmlError, parse
from adapters.sandbox.catalog import Catalog
from adapters.sandbox.soap_app import SoapFault, SoapService, create_soap_sandbox

from .handler import PrimaOperations
from .operations import Refused
from .state import PrimaState

NAMESPACE = "urn:omlink"


def soap_path(env: str = "1") -> str:
    return f"/wsa/wsa{env}"


class ProductFlags(BaseModel):
    web_sellable: bool


class _Requests:
    """The two generic operations around one request handler."""

    def __init__(self, operations: PrimaOperations, company: str) -> None:
        self.operations = operations
        self.company = company

    def wsomhandler(self, call: SoapCall) -> str:
        return self.operations.handle(call.args.get("Request", ""))[1]

    def comwsomhandler(self, call: SoapCall) -> str:
        if call.args.get("CompanyId") != self.company:
            raise SoapFault(f"Company {call.args.get('CompanyId')} is not available", "Client")
        return self.wsomhandler(call)


def _is_write(call: SoapCall) -> bool:
    try:
        return parse(call.args.get("Request", "")).get("RequestType") in PrimaOperations.WRITES
    except XmlError:
        return False


def create_prima_sandbox(catalog: Catalog, *, company: str = "01", env: str = "1") -> FastAPI:
    state = PrimaState(catalog.model_copy(deep=True))
    state.seed()
    operations = PrimaOperations(state)
    requests = _Requests(operations, company)
    service = SoapService(
        name="Prima",
        path=soap_path(env),
        namespace=NAMESPACE,
        operations={"wsomhandler": requests.wsomhandler, "comwsomhandler": requests.comwsomhandler},
        writes=frozenset(),
        is_write=_is_write,
    )
    router = APIRouter(prefix="/_sandbox")

    @router.post("/products/{product}/{colour}/{size}")
    async def flags(product: str, colour: str, size: str, body: ProductFlags) -> dict[str, Any]:
        found = state.products.get(f"{product}/{colour}/{size}")
        if found is None:
            raise HTTPException(404, "no such product")
        found.web_sellable = body.web_sellable
        return {"ok": True}

    @router.post("/returns/{number}/close")
    async def close(number: str) -> dict[str, Any]:
        try:
            return {"status": operations.close(number).status}
        except Refused as exc:
            raise HTTPException(404 if "not found" in str(exc) else 409, str(exc)) from None

    @router.post("/returns/{number}/fields")
    async def fields(number: str, body: dict[str, bool | str]) -> dict[str, Any]:
        try:
            return {"fields": operations.set_fields(number, body).data["fields"]}
        except Refused as exc:
            raise HTTPException(404 if "not found" in str(exc) else 422, str(exc)) from None

    return create_soap_sandbox(service, state, controls=router)
