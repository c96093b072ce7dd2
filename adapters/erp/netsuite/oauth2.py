"""OAuth 2.0 client credentials (machine to machine), NetSuite's preferred REST login.

NetSuite closes Token-Based Authentication to new integrations from 2027.1, so this is the
default for new accounts. The integration proves itself with a short-lived JWT (the client
assertion) signed by the private key of the certificate mapped to (integration, entity, role);
NetSuite answers with a bearer token good for an hour and no refresh token. The token is cached
and renewed a few minutes before it expires, and dropped at once if NetSuite refuses it.

Signing is PyJWT's (with `cryptography`): PS256/384/512 for RSA keys, ES256/384/512 for EC keys.
RS256 is not in NetSuite's list, so it is refused here rather than at the first login.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import jwt

from adapters.errors import AuthError, RetryableError

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = frozenset({"PS256", "PS384", "PS512", "ES256", "ES384", "ES512"})
ASSERTION_LIFETIME = 300  # seconds; NetSuite caps exp - iat below 60 minutes
RENEW_BEFORE = 300  # seconds: renew ~5 minutes before the token expires


@dataclass(frozen=True)
class OAuth2Credentials:
    """What the integration record and its certificate mapping give us."""

    client_id: str
    certificate_id: str
    private_key: str  # PEM of the certificate's private key
    algorithm: str = "PS256"

    def __repr__(self) -> str:
        return f"OAuth2Credentials(certificate_id={self.certificate_id!r})"


@dataclass(frozen=True)
class BearerToken:
    value: str
    expires_at: float

    def fresh(self, now: float, margin: float) -> bool:
        return now < self.expires_at - margin

    def __repr__(self) -> str:  # the token is a credential
        return f"BearerToken(expires_at={self.expires_at})"


class ClientCredentialsAuth:
    """A `RequestSigner` that sends `Authorization: Bearer <token>`, fetching it as needed."""

    def __init__(
        self,
        credentials: OAuth2Credentials,
        *,
        base_url: str,
        scopes: tuple[str, ...] = ("rest_webservices",),
        renew_before: float = RENEW_BEFORE,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`clock` counts the token's life (a test moves it instead of sleeping); the client
        assertion always carries true time, since NetSuite checks it against its own."""
        if credentials.algorithm not in ALGORITHMS:
            raise ValueError(f"NetSuite accepts {sorted(ALGORITHMS)} for client assertions")
        self.token_url = base_url.rstrip("/") + TOKEN_PATH
        self.client_id = credentials.client_id
        self.certificate_id = credentials.certificate_id
        self._key = credentials.private_key
        self._algorithm = credentials.algorithm
        self._scope = ",".join(scopes)
        self._renew_before = renew_before
        self._timeout = timeout
        self._transport = transport
        self._clock = clock
        self._token: BearerToken | None = None
        self._lock = asyncio.Lock()
        self.tokens_fetched = 0

    def client_assertion(self) -> str:
        """The signed JWT that stands for a client secret: short-lived, single purpose."""
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "scope": self._scope,
            "aud": self.token_url,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
            "jti": uuid.uuid4().hex,
        }
        headers = {"typ": "JWT", "kid": self.certificate_id}
        return jwt.encode(claims, self._key, algorithm=self._algorithm, headers=headers)

    async def token(self) -> BearerToken:
        """The cached token while it has more than `renew_before` left, else a new one.

        One fetch at a time: concurrent activities wait for the same token instead of each
        asking NetSuite for its own."""
        async with self._lock:
            if self._token is None or not self._token.fresh(self._clock(), self._renew_before):
                self._token = await self._fetch()
            return self._token

    async def _fetch(self) -> BearerToken:
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.client_assertion(),
        }
        asked_at = self._clock()
        try:
            # A client per fetch: one token an hour does not need a kept-open connection.
            async with httpx.AsyncClient(timeout=self._timeout, transport=self._transport) as http:
                response = await http.post(self.token_url, data=form)
        except httpx.TransportError as exc:
            raise RetryableError(
                f"NetSuite token endpoint: {type(exc).__name__}", code=type(exc).__name__
            ) from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryableError(
                f"NetSuite token endpoint answered {response.status_code}",
                status=response.status_code,
            )
        body = _json(response)
        if response.status_code != 200 or "access_token" not in body:
            error = str(body.get("error") or f"HTTP {response.status_code}")
            raise AuthError(
                f"NetSuite refused the client credentials grant: {error} (check the "
                "integration's client id, the certificate mapping and its role)",
                code=error,
                status=response.status_code,
            )
        self.tokens_fetched += 1
        return BearerToken(
            value=str(body["access_token"]),
            expires_at=asked_at + float(str(body.get("expires_in", 3600))),
        )

    async def sign(self, method: str, url: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {(await self.token()).value}"}

    def forget(self) -> None:
        """NetSuite refused the token (revoked, or the mapping changed): fetch anew next time."""
        self._token = None

    def __repr__(self) -> str:  # secrets never reach logs
        return f"ClientCredentialsAuth(certificate_id={self.certificate_id!r})"


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
