"""Token-Based Authentication against the sandbox: what NetSuite accepts and why it refuses.

Every refusal is the same 401 INVALID_LOGIN to the client; the reason is only in the audit.
"""

from __future__ import annotations

import time
from typing import cast

import pytest
from oauthlib import oauth1

from adapters.erp.netsuite import TokenBasedAuth, wire
from adapters.errors import AuthError
from adapters.sandbox.netsuite import NetSuiteSandboxControl
from adapters.sandbox.server import ServedApp
from tests.adapters.netsuite_fixtures import *  # noqa: F403
from tests.adapters.netsuite_fixtures import ACCOUNT_ID, CREDENTIALS, SignedClient, make_adapter

ORDER = wire.record_path("salesOrder", "9001")


async def _last_reason(control: NetSuiteSandboxControl) -> str | None:
    audit = await control.login_audit()
    return audit[-1]["reason"]


def _assert_invalid_login(response_json: dict) -> None:
    assert response_json["status"] == 401
    assert response_json["title"] == "Unauthorized"
    assert response_json["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"
    assert "Login Audit Trail" in response_json["o:errorDetails"][0]["detail"]


async def test_signed_request_is_accepted_and_audited(
    netsuite_raw: SignedClient, netsuite_control: NetSuiteSandboxControl
) -> None:
    response = await netsuite_raw.request("GET", ORDER, params={"expandSubResources": "true"})
    assert response.status_code == 200
    assert response.json()["tranId"] == "SO9001"
    audit = await netsuite_control.login_audit()
    assert audit[-1]["status"] == "Success"


async def test_header_has_realm_and_hmac_sha256() -> None:
    auth = TokenBasedAuth(account_id=ACCOUNT_ID, **CREDENTIALS)
    first = (await auth.sign("GET", "https://x.example/a?b=1"))["Authorization"]
    second = (await auth.sign("GET", "https://x.example/a?b=1"))["Authorization"]
    assert first.startswith(f'OAuth realm="{ACCOUNT_ID}"')
    assert 'oauth_signature_method="HMAC-SHA256"' in first
    assert first != second  # fresh nonce and signature per attempt
    assert "ns-test-token-secret" not in repr(auth)


async def test_tampered_query_is_refused(
    netsuite_raw: SignedClient, netsuite_control: NetSuiteSandboxControl
) -> None:
    url = f"{netsuite_raw.base_url}{ORDER}"
    headers = await netsuite_raw.auth.sign("GET", url)  # signed without the query
    response = await netsuite_raw.http.get(
        url, params={"expandSubResources": "true"}, headers=headers
    )
    assert response.status_code == 401
    _assert_invalid_login(response.json())
    assert await _last_reason(netsuite_control) == "InvalidSignature"


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"consumer_secret": "wrong"}, "InvalidSignature"),
        ({"token_secret": "wrong"}, "InvalidSignature"),
        ({"consumer_key": "someone-else"}, "consumer_key_unknown"),
        ({"token_id": "revoked-token"}, "token_rejected"),
        ({"account_id": "999999"}, "token_rejected"),
    ],
)
async def test_wrong_credentials_are_refused(
    netsuite_served: ServedApp,
    netsuite_control: NetSuiteSandboxControl,
    override: dict[str, str],
    reason: str,
) -> None:
    settings = cast(dict[str, str], {"account_id": ACCOUNT_ID, **CREDENTIALS, **override})
    client = SignedClient(netsuite_served.url, TokenBasedAuth(**settings))
    try:
        response = await client.request("GET", ORDER)
    finally:
        await client.aclose()
    assert response.status_code == 401
    _assert_invalid_login(response.json())
    assert await _last_reason(netsuite_control) == reason


async def test_reused_nonce_is_refused(
    netsuite_raw: SignedClient, netsuite_control: NetSuiteSandboxControl
) -> None:
    url = f"{netsuite_raw.base_url}{ORDER}"
    headers = await netsuite_raw.auth.sign("GET", url)
    assert (await netsuite_raw.http.get(url, headers=headers)).status_code == 200
    replay = await netsuite_raw.http.get(url, headers=headers)  # the same bytes again
    assert replay.status_code == 401
    assert await _last_reason(netsuite_control) == "NonceUsed"


@pytest.mark.parametrize("skew", [-600, 600])
async def test_timestamp_outside_five_minutes_is_refused(
    netsuite_raw: SignedClient, netsuite_control: NetSuiteSandboxControl, skew: int
) -> None:
    client = oauth1.Client(
        CREDENTIALS["consumer_key"],
        client_secret=CREDENTIALS["consumer_secret"],
        resource_owner_key=CREDENTIALS["token_id"],
        resource_owner_secret=CREDENTIALS["token_secret"],
        signature_method=oauth1.SIGNATURE_HMAC_SHA256,
        realm=ACCOUNT_ID,
        timestamp=str(int(time.time()) + skew),
    )
    url = f"{netsuite_raw.base_url}{ORDER}"
    _, headers, _ = client.sign(url, http_method="GET")
    response = await netsuite_raw.http.get(url, headers=headers)
    assert response.status_code == 401
    assert await _last_reason(netsuite_control) == "InvalidTimestamp"


async def test_hmac_sha1_is_refused(
    netsuite_raw: SignedClient, netsuite_control: NetSuiteSandboxControl
) -> None:
    client = oauth1.Client(
        CREDENTIALS["consumer_key"],
        client_secret=CREDENTIALS["consumer_secret"],
        resource_owner_key=CREDENTIALS["token_id"],
        resource_owner_secret=CREDENTIALS["token_secret"],
        signature_method=oauth1.SIGNATURE_HMAC_SHA1,
        realm=ACCOUNT_ID,
    )
    url = f"{netsuite_raw.base_url}{ORDER}"
    _, headers, _ = client.sign(url, http_method="GET")
    assert (await netsuite_raw.http.get(url, headers=headers)).status_code == 401
    assert await _last_reason(netsuite_control) == "UnknownAlgorithm"


async def test_adapter_with_bad_secret_raises_auth_error(
    netsuite_served: ServedApp, netsuite_control: NetSuiteSandboxControl
) -> None:
    adapter = make_adapter(netsuite_served.url, token_secret="not-the-secret")
    try:
        with pytest.raises(AuthError) as caught:
            await adapter.get_sales_order("9001")
    finally:
        await adapter.aclose()
    assert caught.value.code == "INVALID_LOGIN"
    audit = await netsuite_control.login_audit()
    assert [a["reason"] for a in audit] == [
        "InvalidSignature",
        "InvalidSignature",
    ]  # re-signed once


async def test_controls_need_no_auth(netsuite_control: NetSuiteSandboxControl) -> None:
    dump = await netsuite_control.dump("salesOrder")
    assert len(dump["records"]["salesOrder"]) == 6
    assert dump["loginAudit"] == []
