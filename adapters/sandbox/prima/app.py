"""`create_prima_sandbox`: Prima's OpenEdge web service handler on its real path.

`wsomhandler(Request)` and `comwsomhandler(CompanyId, Request)` each take one XML string and
always answer it inside a successful SOAP reply; a control under /_sandbox/ flips a product's
web-sellable flag; the shared ones (reset, records, stock, faults) come from soap_app.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException
from pydantic import BaseModel

from adapters.erp.soap import SoapCall, XmlError, parse
from adapters.sandbox.catalog import Catalog
from adapters.sandbox.soap_app import SoapFault, SoapService, create_soap_sandbox

from .handler import PrimaOperations
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
    requests = _Requests(PrimaOperations(state), company)
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

    return create_soap_sandbox(service, state, controls=router)
