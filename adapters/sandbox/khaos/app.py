"""`create_khaos_sandbox`: a Khaos Control IKosWeb SOAP service on its real path.

Calls go to `/<exe>/soap/IKosWeb` with credentials in the SOAP header; controls under /_sandbox/
flip an item's web-sale or discontinued flag and do what a person does in the Returns screen
(cancel a return, tick one of its fields); the shared ones (reset, records, stock, faults) come
from adapters.sandbox.soap_app.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException
from pydantic import BaseModel

from adapters.erp.soap import SoapCall
from adapters.sandbox.catalog import Catalog
from adapters.sandbox.soap_app import SoapFault, SoapService, create_soap_sandbox

from .ikosweb import IKosWeb
from .operations import NO_RETURN, RowError
from .state import KhaosState

NAMESPACE = "urn:KosWebIntf-IKosWeb"
INVALID_LOGIN = "Invalid user name or password"


def soap_path(exe: str = "KhaosIDS.exe") -> str:
    return f"/{exe}/soap/IKosWeb"


class ItemFlags(BaseModel):
    web_sale: bool | None = None
    discontinued: bool | None = None


def create_khaos_sandbox(
    catalog: Catalog, *, username: str, password: str, exe: str = "KhaosIDS.exe"
) -> FastAPI:
    state = KhaosState(catalog.model_copy(deep=True))
    state.seed()
    operations = IKosWeb(state)

    def authenticate(call: SoapCall) -> str | None:
        given = (call.header.get("UserName"), call.header.get("Password"))
        return None if given == (username, password) else INVALID_LOGIN

    service = SoapService(
        name="Khaos Control",
        path=soap_path(exe),
        namespace=NAMESPACE,
        operations=operations.table(),
        writes=IKosWeb.WRITES,
        authenticate=authenticate,
    )
    router = APIRouter(prefix="/_sandbox")

    @router.post("/items/{stock_code}")
    async def flags(stock_code: str, body: ItemFlags) -> dict[str, Any]:
        item = state.items.get(stock_code)
        if item is None:
            raise HTTPException(404, f"no stock item {stock_code}")
        if body.web_sale is not None:
            item.web_sale = body.web_sale
        if body.discontinued is not None:
            item.discontinued = body.discontinued
        return {"ok": True}

    @router.post("/returns/{code}/close")
    async def close(code: str) -> dict[str, Any]:
        """Khaos has no closed status for a return: a person cancels it."""
        try:
            return {"status": operations.cancel(code, "cancelled in Khaos").status}
        except SoapFault as exc:
            raise HTTPException(404 if exc.message == NO_RETURN else 409, exc.message) from None

    @router.post("/returns/{code}/fields")
    async def fields(code: str, body: dict[str, bool | str]) -> dict[str, Any]:
        try:
            return {"fields": operations.set_fields(code, body).data["fields"]}
        except RowError as exc:
            raise HTTPException(
                404 if exc.code == "RETURN_NOT_FOUND" else 422, exc.message
            ) from None

    return create_soap_sandbox(service, state, controls=router)
