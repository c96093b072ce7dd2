"""How a request proves who it is: Token-Based Authentication (OAuth 1.0a, HMAC-SHA256).

`RequestSigner` is the seam: OAuth 2.0 client credentials (Oracle's preferred method, TBA is
sunsetting) sits beside `TokenBasedAuth` in oauth2.py. `sign` is async because a bearer-token
signer has to fetch and renew its token over HTTP.

TBA signs the method, the URL and its query parameters, never the JSON body. Each call makes a
fresh nonce and timestamp: NetSuite rejects a replayed nonce, so every retry is signed anew.
"""

from __future__ import annotations

from typing import Protocol

from oauthlib import oauth1


class RequestSigner(Protocol):
    async def sign(self, method: str, url: str) -> dict[str, str]:
        """Headers that authenticate one attempt of this request."""
        ...

    def forget(self) -> None:
        """NetSuite answered 401: drop whatever is cached so the next `sign` starts afresh."""
        ...


class TokenBasedAuth:
    def __init__(
        self,
        *,
        account_id: str,
        consumer_key: str,
        consumer_secret: str,
        token_id: str,
        token_secret: str,
    ) -> None:
        self.account_id = account_id
        self._client = oauth1.Client(
            consumer_key,
            client_secret=consumer_secret,
            resource_owner_key=token_id,
            resource_owner_secret=token_secret,
            signature_method=oauth1.SIGNATURE_HMAC_SHA256,
            realm=account_id,
        )

    async def sign(self, method: str, url: str) -> dict[str, str]:
        # No body and no Content-Type are passed: oauthlib would otherwise add a body hash,
        # which NetSuite does not expect.
        _, headers, _ = self._client.sign(url, http_method=method.upper())
        return {"Authorization": headers["Authorization"]}

    def forget(self) -> None:
        """Nothing cached: every TBA signature is new anyway."""

    def __repr__(self) -> str:  # secrets never reach logs
        return f"TokenBasedAuth(account_id={self.account_id!r})"
