"""Server side of OAuth 2.0 client credentials (M2M), as NetSuite runs it.

The token endpoint sits on its real path and checks the client assertion the way NetSuite does:
a JWT whose `kid` names a certificate registered for the integration, signed with that
certificate's private key (PS256/384/512 or ES256/384/512, nothing else), `iss` = the client id,
`aud` = the token URL, `scope` naming rest_webservices, `exp` under an hour after `iat`. It
answers with a bearer token (itself a JWT, signed with the sandbox's own secret) and `expires_in`.
API requests may then carry `Authorization: Bearer …` instead of a TBA header; both land in the
same login audit. Signatures and claims are checked by PyJWT; a bearer token's times are checked
on the issuer's clock.

Controls under /_sandbox/oauth2: register a certificate, revoke every token, shorten the token
lifetime, move the issuer's clock forward (so a test sees a token expire without sleeping past a
second boundary: PyJWT compares `exp` in whole seconds, which made a 1 s lifetime a coin toss),
read counters.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_ALGORITHMS = ["PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
MAX_ASSERTION_LIFETIME = 3600
SCOPE = "rest_webservices"
ACCESS_TOKEN_ALGORITHM = "HS256"


@dataclass(frozen=True)
class Certificate:
    """One (integration, entity, role) mapping: the client id and the certificate's key."""

    client_id: str
    certificate_id: str
    public_key_pem: str

    def key(self) -> Any:
        data = self.public_key_pem.encode()
        if b"BEGIN CERTIFICATE" in data:
            return x509.load_pem_x509_certificate(data).public_key()
        return load_pem_public_key(data)


class TokenRefused(Exception):
    def __init__(self, error: str, reason: str) -> None:
        super().__init__(reason)
        self.error = error  # the OAuth error code the client sees
        self.reason = reason  # what the login audit records


class OAuth2Issuer:
    def __init__(
        self,
        account_id: str,
        audit: deque[dict[str, Any]],
        certificates: tuple[Certificate, ...] = (),
        token_lifetime: int = 3600,
    ) -> None:
        self.account_id = account_id
        self.audit = audit
        self._seed = certificates
        self._seed_lifetime = token_lifetime
        self._secret = secrets.token_bytes(32)
        self.certificates: dict[str, Certificate] = {}
        self.token_lifetime = token_lifetime
        self.revoked_before = 0.0
        self.clock_offset = 0.0
        self.issued = 0
        self.refused = 0
        self.reset()

    def reset(self) -> None:
        """Seeded certificates, default lifetime, true time, zero counters (the audit is shared)."""
        self.certificates = {c.certificate_id: c for c in self._seed}
        self.token_lifetime = self._seed_lifetime
        self.clock_offset = 0.0
        self.revoked_before = 0.0  # a revocation stamped on a moved clock must not outlive it
        self.issued = self.refused = 0

    def register(self, certificate: Certificate) -> None:
        certificate.key()  # refuse a PEM that does not load, at registration
        self.certificates[certificate.certificate_id] = certificate

    def now(self) -> float:
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        self.clock_offset += seconds

    def revoke_all(self) -> None:
        self.revoked_before = self.now() + 1e-6

    def stats(self) -> dict[str, Any]:
        return {
            "certificates": sorted(self.certificates),
            "tokenLifetime": self.token_lifetime,
            "clockOffset": self.clock_offset,
            "issued": self.issued,
            "refused": self.refused,
        }

    # --- the token endpoint ---------------------------------------------------------------

    def grant(self, form: dict[str, str], token_url: str) -> dict[str, Any]:
        """The token response, or TokenRefused with the OAuth error code."""
        if form.get("grant_type") != "client_credentials":
            raise TokenRefused("unsupported_grant_type", "UnsupportedGrantType")
        if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
            raise TokenRefused("invalid_request", "MissingClientAssertion")
        claims, certificate = self._verify_assertion(form["client_assertion"], token_url)
        now = self.now()
        token = jwt.encode(
            {
                "iss": f"https://{self.account_id}.suitetalk.api.netsuite.com",
                "sub": certificate.client_id,
                "kid": certificate.certificate_id,
                "scope": claims["scope"],
                "iat": now,
                "exp": now + self.token_lifetime,
                "jti": uuid.uuid4().hex,
            },
            self._secret,
            algorithm=ACCESS_TOKEN_ALGORITHM,
        )
        self.issued += 1
        return {"access_token": token, "expires_in": self.token_lifetime, "token_type": "bearer"}

    def _verify_assertion(self, assertion: str, token_url: str) -> tuple[dict, Certificate]:
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.InvalidTokenError as exc:
            raise TokenRefused("invalid_request", "MalformedAssertion") from exc
        if header.get("alg") not in ASSERTION_ALGORITHMS:
            raise TokenRefused("invalid_request", "UnknownAlgorithm")
        certificate = self.certificates.get(str(header.get("kid")))
        if certificate is None:
            raise TokenRefused("invalid_client", "UnknownCertificate")
        try:
            claims: dict[str, Any] = jwt.decode(
                assertion,
                certificate.key(),
                algorithms=[header["alg"]],
                audience=token_url,
                issuer=certificate.client_id,
                options={"require": ["iss", "aud", "iat", "exp", "scope"]},
            )
        except (jwt.InvalidSignatureError, TypeError, ValueError) as exc:
            # TypeError: an ES assertion against an RSA certificate (or the reverse)
            raise TokenRefused("invalid_grant", "InvalidSignature") from exc
        except jwt.ExpiredSignatureError as exc:
            raise TokenRefused("invalid_grant", "ExpiredAssertion") from exc
        except jwt.InvalidAudienceError as exc:
            raise TokenRefused("invalid_grant", "InvalidAudience") from exc
        except jwt.InvalidIssuerError as exc:
            raise TokenRefused("invalid_client", "consumer_key_unknown") from exc
        except jwt.InvalidTokenError as exc:
            raise TokenRefused("invalid_grant", type(exc).__name__) from exc
        if int(claims["exp"]) - int(claims["iat"]) > MAX_ASSERTION_LIFETIME:
            raise TokenRefused("invalid_grant", "AssertionLifetimeTooLong")
        scopes = {s.strip() for s in str(claims["scope"]).replace(" ", ",").split(",")}
        if SCOPE not in scopes:
            raise TokenRefused("invalid_scope", "InsufficientScope")
        return claims, certificate

    # --- API requests ---------------------------------------------------------------------

    def verify_bearer(self, token: str) -> str | None:
        """None when the bearer token is live, else the audit reason."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ACCESS_TOKEN_ALGORITHM],
                # the times are checked below, on the issuer's clock and to the microsecond
                options={
                    "require": ["exp", "iat", "sub"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
        except jwt.InvalidTokenError:
            return "InvalidToken"
        now = self.now()
        if float(claims["iat"]) > now:
            return "InvalidToken"
        if float(claims["exp"]) <= now:
            return "ExpiredToken"
        if float(claims["iat"]) < self.revoked_before:
            return "RevokedToken"
        if claims.get("kid") not in self.certificates:
            return "RevokedToken"  # the certificate mapping is gone
        return None

    def record(self, method: str, path: str, reason: str | None, via: str) -> None:
        if reason is not None:
            self.refused += 1
        self.audit.append(
            {
                "at": datetime.now(UTC).isoformat(),
                "status": "Failure" if reason else "Success",
                "reason": reason,
                "method": method,
                "path": path,
                "scheme": via,
            }
        )


def token_router(issuer: OAuth2Issuer) -> APIRouter:
    router = APIRouter()

    @router.post(TOKEN_PATH)
    async def token(request: Request) -> JSONResponse:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("latin-1")).items()}
        token_url = str(request.url).split("?", 1)[0]
        try:
            body = issuer.grant(form, token_url)
        except TokenRefused as refused:
            issuer.record("POST", TOKEN_PATH, refused.reason, "oauth2")
            return JSONResponse({"error": refused.error}, status_code=400)
        issuer.record("POST", TOKEN_PATH, None, "oauth2")
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    return router


class CertificateRegistration(BaseModel):
    client_id: str
    certificate_id: str
    public_key_pem: str = Field(description="PEM X.509 certificate or public key")


class TokenSettings(BaseModel):
    token_lifetime: int = Field(ge=1, le=3600)


class ClockAdvance(BaseModel):
    seconds: float = Field(gt=0, le=86_400)


def oauth2_controls(issuer: OAuth2Issuer) -> APIRouter:
    router = APIRouter(prefix="/_sandbox/oauth2")

    @router.get("")
    async def stats() -> dict:
        return issuer.stats()

    @router.post("/certificates")
    async def register(registration: CertificateRegistration) -> dict:
        issuer.register(Certificate(**registration.model_dump()))
        return {"ok": True, **issuer.stats()}

    @router.post("/revoke")
    async def revoke() -> dict:
        issuer.revoke_all()
        return {"ok": True}

    @router.post("/settings")
    async def settings(values: TokenSettings) -> dict:
        issuer.token_lifetime = values.token_lifetime
        return {"ok": True, **issuer.stats()}

    @router.post("/clock")
    async def clock(values: ClockAdvance) -> dict:
        issuer.advance(values.seconds)
        return {"ok": True, **issuer.stats()}

    return router
