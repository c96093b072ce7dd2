"""NetSuite's review checkbox and RA statuses as the ERP status sweep reads them: a custom
field the account does not define is refused, and the sweep reads statuses by SuiteQL."""

from __future__ import annotations

import pytest

from adapters.erp.netsuite import NetSuiteAdapter, wire
from adapters.erp.netsuite.books import NetSuiteBooks
from adapters.errors import BusinessError
from adapters.sandbox.netsuite import NetSuiteSandboxControl
from adapters.sandbox.server import ServedApp
from tests.adapters.netsuite_fixtures import *  # noqa: F403
from tests.adapters.netsuite_fixtures import SignedClient, make_adapter
from workflows.model import (
    ErpDocument,
    ErpLineRequest,
    ErpReturnState,
    OrderRef,
    ReturnAuthorizationRequest,
    ReviewFlagRequest,
)

RA_QUERY = (
    "SELECT id, externalid, status, custbody_nope AS review FROM transaction "
    "WHERE type = 'RtnAuth' AND externalid IN (?)"
)


async def authorized_on(adapter: NetSuiteAdapter, rid: str) -> ErpDocument:
    order = await adapter.find_sales_order(OrderRef(order_name="#1001"))
    line = order.lines[0]
    return await adapter.create_return_authorization(
        ReturnAuthorizationRequest(
            external_id=f"loop-{rid}-ra",
            return_id=rid,
            order_id=order.id,
            lines=[ErpLineRequest(order_line=line.line, item_id=line.item_id, quantity=1)],
        )
    )


async def test_a_custom_field_the_account_lacks_is_refused(
    netsuite_served: ServedApp, netsuite_raw: SignedClient, netsuite_adapter: NetSuiteAdapter
) -> None:
    ra = await authorized_on(netsuite_adapter, "9801")
    query = await netsuite_raw.request(
        "POST",
        wire.SUITEQL_PATH,
        params={"limit": "10"},
        body={"q": RA_QUERY, "params": ["loop-9801-ra"]},
        headers={"Prefer": "transient"},
    )
    assert query.status_code == 400 and "custbody_nope" in query.text
    patch = await netsuite_raw.request(
        "PATCH",
        wire.record_path("returnAuthorization", ra.id),
        body={"custbody_nope": True},
        headers={wire.PROPERTY_NAME_VALIDATION: "Error"},
    )
    assert patch.status_code == 400 and "custbody_nope" in patch.text

    misconfigured = make_adapter(
        netsuite_served.url, books=NetSuiteBooks(review_field="custbody_nope")
    )
    try:
        with pytest.raises(BusinessError):
            await misconfigured.return_statuses(["9801"])
    finally:
        await misconfigured.aclose()


async def test_the_review_flag_is_ticked_and_read_back(
    netsuite_adapter: NetSuiteAdapter, netsuite_control: NetSuiteSandboxControl
) -> None:
    ra = await authorized_on(netsuite_adapter, "9811")
    await netsuite_adapter.flag_for_review(
        ReviewFlagRequest(return_authorization_id=ra.id, note="review in Loop")
    )
    [record] = [
        r
        for r in await netsuite_control.records("returnAuthorization")
        if r["externalId"] == "loop-9811-ra"
    ]
    assert record["custbody_rf_review"] is True
    await netsuite_control.in_the_screens(ra.id, "uncheck", "custbody_rf_review")
    await netsuite_control.in_the_screens(ra.id, "cancel")
    [status] = (await netsuite_adapter.return_statuses(["9811"])).values()
    assert (status.state, status.erp_status, status.review) == (
        ErpReturnState.CANCELLED,
        "C",
        False,
    )
