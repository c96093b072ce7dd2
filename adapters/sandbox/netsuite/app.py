"""`create_netsuite_sandbox`: a protocol-faithful NetSuite REST account for tests and the demo.

Middleware, outermost first: body buffering, the concurrency gate (so injected latency holds a
slot), fault injection, lost answers, TBA; then the API and the /_sandbox controls.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from starlette.exceptions import HTTPException

from adapters.sandbox.catalog import Catalog
from adapters.sandbox.faults import install_faults

from .account import SandboxAccount
from .api import api_router
from .controls import controls_router
from .errors import NsError, error_response, status_body
from .middleware import BufferBody, ConcurrencyGate, LoseResponses, RequireTba
from .oauth2 import Certificate, oauth2_controls, token_router
from .responses import NsJSONResponse
from .store import Preferences
from .tba import TbaCredentials

log = logging.getLogger(__name__)


def create_netsuite_sandbox(
    catalog: Catalog,
    *,
    account_id: str = "123456_SB1",
    consumer_key: str,
    consumer_secret: str,
    token_id: str,
    token_secret: str,
    concurrency_limit: int = 5,
    holding_location_id: str = "2",
    main_location_id: str = "1",
    allow_refund_in_advance: bool = False,
    oauth2_certificates: tuple[Certificate, ...] = (),
) -> FastAPI:
    """`allow_refund_in_advance` is NetSuite's "Refund in Advance of Return" preference: on,
    an RA can be credited before (or without) receipt, as returnless outcomes need; off (the
    default), a credit memo needs received units. Also settable via /_sandbox/preferences."""
    account = SandboxAccount(
        catalog,
        account_id=account_id,
        credentials=TbaCredentials(consumer_key, consumer_secret, token_id, token_secret),
        concurrency_limit=concurrency_limit,
        preferences=Preferences(
            allow_refund_in_advance=allow_refund_in_advance,
            main_location_id=main_location_id,
            holding_location_id=holding_location_id,
        ),
        certificates=oauth2_certificates,
    )
    app = FastAPI(title=f"NetSuite sandbox {account_id}", docs_url="/_sandbox/docs")
    app.state.account = account
    app.include_router(api_router(account))
    app.include_router(controls_router(account))
    app.include_router(token_router(account.oauth2))
    app.include_router(oauth2_controls(account.oauth2))

    @app.exception_handler(NsError)
    async def netsuite_error(request: Request, exc: NsError) -> Response:
        return exc.response()

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        code = "NONEXISTENT_ID" if exc.status_code == 404 else "INVALID_REQUEST"
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("netsuite sandbox: unexpected error")
        return NsJSONResponse(status_body(500), status_code=500, error=True)

    app.add_middleware(RequireTba, verifier=account.verifier, bearer=account.oauth2)
    app.add_middleware(LoseResponses, state=account.lost)
    install_faults(app, account.injector)
    app.add_middleware(ConcurrencyGate, governance=account.governance)
    app.add_middleware(BufferBody)
    return app
