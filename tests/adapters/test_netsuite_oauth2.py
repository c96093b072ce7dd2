"""OAuth 2.0 client credentials (M2M) against the sandbox's token endpoint.

The adapter signs a JWT client assertion with the certificate's private key, the sandbox checks
it against the registered certificate, and API calls go out with the bearer token it issued.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import jwt
import pytest
from pydantic import SecretStr

from adapters.erp.netsuite import ClientCredentialsAuth, OAuth2Credentials, wire
from adapters.erp.netsuite.oauth2 import ASSERTION_TYPE, TOKEN_PATH
from adapters.errors import AuthError
from adapters.sandbox.netsuite import NetSuiteSandboxControl
from adapters.sandbox.server import ServedApp
from tests.adapters.certificates import KeyPair, key_pair
from tests.adapters.netsuite_fixtures import *  # noqa: F403
from tests.adapters.netsuite_fixtures import make_adapter
from workers.settings import Settings
from workers.wiring import build_erp

CLIENT_ID = "ns-test-oauth2-client-id"
ORDER = wire.record_path("salesOrder", "9001")


@pytest.fixture(scope="module")
def rsa_pair() -> KeyPair:
    return key_pair("rsa")


@pytest.fixture(scope="module")
def ec_pair() -> KeyPair:
    return key_pair("ec")


async def _register(control: NetSuiteSandboxControl, pair: KeyPair, kid: str) -> None:
    await control.register_certificate(
        client_id=CLIENT_ID, certificate_id=kid, public_key_pem=pair.certificate_pem
    )


def _credentials(pair: KeyPair, kid: str, algorithm: str = "PS256") -> OAuth2Credentials:
    return OAuth2Credentials(
        client_id=CLIENT_ID, certificate_id=kid, private_key=pair.private_pem, algorithm=algorithm
    )


@pytest.mark.parametrize(("pair_name", "algorithm"), [("rsa_pair", "PS256"), ("ec_pair", "ES256")])
async def test_adapter_reads_with_a_bearer_token_fetched_once(
    netsuite_served: ServedApp,
    netsuite_control: NetSuiteSandboxControl,
    request: pytest.FixtureRequest,
    pair_name: str,
    algorithm: str,
) -> None:
    pair: KeyPair = request.getfixturevalue(pair_name)
    await _register(netsuite_control, pair, "cert-1")
    adapter = make_adapter(netsuite_served.url, oauth2=_credentials(pair, "cert-1", algorithm))
    try:
        orders = await asyncio.gather(*(adapter.get_sales_order("9001") for _ in range(3)))
    finally:
        await adapter.aclose()
    assert {o.tran_id for o in orders} == {"SO9001"}
    assert (await netsuite_control.oauth2_stats())["issued"] == 1  # cached, shared by all
    audit = await netsuite_control.login_audit()
    assert audit and {(a["status"], a.get("scheme")) for a in audit} == {("Success", "oauth2")}


async def test_token_is_renewed_before_it_expires(
    netsuite_served: ServedApp, netsuite_control: NetSuiteSandboxControl, rsa_pair: KeyPair
) -> None:
    await _register(netsuite_control, rsa_pair, "cert-1")
    now = [time.time()]
    auth = ClientCredentialsAuth(
        _credentials(rsa_pair, "cert-1"), base_url=netsuite_served.url, clock=lambda: now[0]
    )
    first = await auth.token()
    assert first.expires_at == pytest.approx(now[0] + 3600, abs=0.5)  # NetSuite's hour
    now[0] += 3600 - 301
    assert (await auth.token()) is first  # more than the 300 s margin left: the cached token
    now[0] += 2
    second = await auth.token()
    assert second.value != first.value
    assert now[0] < first.expires_at  # renewed while the old one was still good
    assert auth.tokens_fetched == 2
    assert (await netsuite_control.oauth2_stats())["issued"] == 2


async def test_revoked_token_is_dropped_and_fetched_again(
    netsuite_served: ServedApp, netsuite_control: NetSuiteSandboxControl, rsa_pair: KeyPair
) -> None:
    await _register(netsuite_control, rsa_pair, "cert-1")
    adapter = make_adapter(netsuite_served.url, oauth2=_credentials(rsa_pair, "cert-1"))
    try:
        await adapter.get_sales_order("9001")
        await netsuite_control.revoke_tokens()
        order = await adapter.get_sales_order("9001")
    finally:
        await adapter.aclose()
    assert order.tran_id == "SO9001"
    reasons = [a["reason"] for a in await netsuite_control.login_audit()]
    assert "RevokedToken" in reasons
    assert (await netsuite_control.oauth2_stats())["issued"] == 2


async def test_expired_bearer_token_is_refused(
    netsuite_served: ServedApp, netsuite_control: NetSuiteSandboxControl, rsa_pair: KeyPair
) -> None:
    await _register(netsuite_control, rsa_pair, "cert-1")
    await netsuite_control.token_lifetime(60)
    auth = ClientCredentialsAuth(_credentials(rsa_pair, "cert-1"), base_url=netsuite_served.url)
    token = await auth.token()
    async with httpx.AsyncClient() as http:
        headers = {"Authorization": f"Bearer {token.value}"}
        assert (await http.get(netsuite_served.url + ORDER, headers=headers)).status_code == 200
        await netsuite_control.advance_oauth2_clock(59)
        assert (await http.get(netsuite_served.url + ORDER, headers=headers)).status_code == 200
        await netsuite_control.advance_oauth2_clock(1.5)
        late = await http.get(netsuite_served.url + ORDER, headers=headers)
        forged = await http.get(
            netsuite_served.url + ORDER, headers={"Authorization": "Bearer not-a-token"}
        )
    assert late.status_code == 401
    assert late.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"
    assert forged.status_code == 401
    reasons = [a["reason"] for a in await netsuite_control.login_audit()]
    assert reasons[-2:] == ["ExpiredToken", "InvalidToken"]


async def test_assertion_signed_with_another_key_is_refused(
    netsuite_served: ServedApp,
    netsuite_control: NetSuiteSandboxControl,
    rsa_pair: KeyPair,
    ec_pair: KeyPair,
) -> None:
    await _register(netsuite_control, rsa_pair, "cert-1")
    impostor = _credentials(ec_pair, "cert-1", "ES256")  # right kid, wrong private key
    adapter = make_adapter(netsuite_served.url, oauth2=impostor)
    try:
        with pytest.raises(AuthError) as refused:
            await adapter.get_sales_order("9001")
    finally:
        await adapter.aclose()
    assert refused.value.code == "invalid_grant"
    assert "private" not in str(refused.value).lower()
    audit = await netsuite_control.login_audit()
    assert audit[-1]["reason"] == "InvalidSignature"


async def test_unknown_certificate_is_an_invalid_client(
    netsuite_served: ServedApp, netsuite_control: NetSuiteSandboxControl, rsa_pair: KeyPair
) -> None:
    auth = ClientCredentialsAuth(
        _credentials(rsa_pair, "never-mapped"), base_url=netsuite_served.url
    )
    with pytest.raises(AuthError) as refused:
        await auth.token()
    assert refused.value.code == "invalid_client"


def _claims(url: str, **overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": CLIENT_ID,
        "scope": "rest_webservices",
        "aud": url + TOKEN_PATH,
        "iat": now,
        "exp": now + 300,
    }
    return {**claims, **overrides}


@pytest.mark.parametrize(
    ("overrides", "algorithm", "error", "reason"),
    [
        ({}, "RS256", "invalid_request", "UnknownAlgorithm"),  # not in NetSuite's list
        ({"aud": "https://elsewhere.example/token"}, "PS256", "invalid_grant", "InvalidAudience"),
        ({"exp": int(time.time()) + 7200}, "PS256", "invalid_grant", "AssertionLifetimeTooLong"),
        ({"exp": int(time.time()) - 10}, "PS256", "invalid_grant", "ExpiredAssertion"),
        ({"scope": "restlets"}, "PS256", "invalid_scope", "InsufficientScope"),
        ({"iss": "someone-else"}, "PS256", "invalid_client", "consumer_key_unknown"),
    ],
)
async def test_token_endpoint_checks_the_assertion(
    netsuite_served: ServedApp,
    netsuite_control: NetSuiteSandboxControl,
    rsa_pair: KeyPair,
    overrides: dict[str, object],
    algorithm: str,
    error: str,
    reason: str,
) -> None:
    await _register(netsuite_control, rsa_pair, "cert-1")
    assertion = jwt.encode(
        _claims(netsuite_served.url, **overrides),
        rsa_pair.private_pem,
        algorithm=algorithm,
        headers={"kid": "cert-1", "typ": "JWT"},
    )
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    async with httpx.AsyncClient() as http:
        response = await http.post(netsuite_served.url + TOKEN_PATH, data=form)
    assert (response.status_code, response.json()) == (400, {"error": error})
    assert (await netsuite_control.login_audit())[-1]["reason"] == reason


async def test_wrong_grant_type_is_refused(netsuite_served: ServedApp) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            netsuite_served.url + TOKEN_PATH, data={"grant_type": "password"}
        )
    assert (response.status_code, response.json()) == (400, {"error": "unsupported_grant_type"})


def test_signer_refuses_rs256_and_hides_its_key(rsa_pair: KeyPair) -> None:
    with pytest.raises(ValueError):
        ClientCredentialsAuth(
            _credentials(rsa_pair, "c", "RS256"), base_url="https://1-sb1.example"
        )
    auth = ClientCredentialsAuth(_credentials(rsa_pair, "c"), base_url="https://1-sb1.example")
    assertion = auth.client_assertion()
    header, claims = (
        jwt.get_unverified_header(assertion),
        jwt.decode(assertion, options={"verify_signature": False}),
    )
    assert (header["alg"], header["kid"], header["typ"]) == ("PS256", "c", "JWT")
    assert claims["aud"] == "https://1-sb1.example" + TOKEN_PATH
    assert claims["iss"] == CLIENT_ID and claims["scope"] == "rest_webservices"
    assert 0 < claims["exp"] - claims["iat"] < 3600
    assert "PRIVATE" not in repr(auth) and CLIENT_ID not in repr(auth)
    assert "PRIVATE" not in repr(_credentials(rsa_pair, "c"))


async def test_settings_choose_oauth2_with_a_key_file(
    netsuite_served: ServedApp,
    netsuite_control: NetSuiteSandboxControl,
    rsa_pair: KeyPair,
    tmp_path: Path,
) -> None:
    await _register(netsuite_control, rsa_pair, "cert-1")
    key_file = tmp_path / "netsuite.pem"
    key_file.write_text(rsa_pair.private_pem)
    settings = Settings(
        netsuite_base_url=netsuite_served.url,
        netsuite_auth="oauth2",
        netsuite_client_id=SecretStr(CLIENT_ID),
        netsuite_certificate_id="cert-1",
        netsuite_private_key_file=key_file,
    )
    erp = build_erp(settings)
    try:
        order = await erp.get_sales_order("9001")
    finally:
        await erp.aclose()
    assert order.tran_id == "SO9001"
    assert {a.get("scheme") for a in await netsuite_control.login_audit()} == {"oauth2"}
    with pytest.raises(ValueError, match="CERTIFICATE_ID"):
        build_erp(settings.model_copy(update={"netsuite_certificate_id": ""}))
