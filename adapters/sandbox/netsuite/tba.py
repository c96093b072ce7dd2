"""Server side of Token-Based Authentication, as NetSuite checks it.

The signature base string is rebuilt with oauthlib's RFC 5849 helpers (query parameters and
oauth_* header values, never `realm`, never the JSON body) and compared in constant time.
Every outcome lands in the login audit trail with NetSuite's reason names; the caller only ever
sees 401 INVALID_LOGIN.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from oauthlib.common import Request
from oauthlib.oauth1.rfc5849 import signature, utils

SKEW_SECONDS = 300


@dataclass(frozen=True)
class TbaCredentials:
    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str

    def __repr__(self) -> str:
        return "TbaCredentials(****)"


class TbaVerifier:
    def __init__(self, account_id: str, credentials: TbaCredentials) -> None:
        self.account_id = account_id
        self._creds = credentials
        self._seen: set[tuple[str, str, str]] = set()  # (token, nonce, timestamp)
        self._order: deque[tuple[float, tuple[str, str, str]]] = deque()
        self.audit: deque[dict[str, Any]] = deque(maxlen=5000)

    def reset(self) -> None:
        self._seen.clear()
        self._order.clear()
        self.audit.clear()

    def _reason(self, method: str, url: str, authorization: str | None, now: float) -> str | None:
        if not authorization:
            return "MissingAuthorization"
        try:
            header = {
                k: utils.unescape(v) for k, v in utils.parse_authorization_header(authorization)
            }
        except ValueError:
            return "InvalidAuthorizationHeader"
        if header.get("oauth_signature_method") != "HMAC-SHA256":
            return "UnknownAlgorithm"
        if header.get("oauth_consumer_key") != self._creds.consumer_key:
            return "consumer_key_unknown"
        if header.get("oauth_token") != self._creds.token_id:
            return "token_rejected"
        if header.get("realm", "").upper() != self.account_id.upper():
            return "token_rejected"  # a token belongs to one account
        try:
            timestamp = int(header.get("oauth_timestamp", ""))
        except ValueError:
            return "InvalidTimestamp"
        if abs(now - timestamp) > SKEW_SECONDS:
            return "InvalidTimestamp"
        nonce = header.get("oauth_nonce", "")
        if len(nonce) < 6:
            return "InvalidNonce"

        request = Request(url, method, "", {"Authorization": authorization})
        request.params = signature.collect_parameters(
            uri_query=urlparse(url).query, headers={"Authorization": authorization}
        )
        request.signature = header.get("oauth_signature", "")
        if not signature.verify_hmac_sha256(
            request, self._creds.consumer_secret, self._creds.token_secret
        ):
            return "InvalidSignature"

        key = (self._creds.token_id, nonce, str(timestamp))
        if key in self._seen:
            return "NonceUsed"
        while self._order and self._order[0][0] < now - 2 * SKEW_SECONDS:
            self._seen.discard(self._order.popleft()[1])  # too old to pass the clock check
        self._seen.add(key)
        self._order.append((now, key))
        return None

    def verify(self, method: str, url: str, authorization: str | None) -> str | None:
        """None when the request is authentic, else the audit reason (and it is logged)."""
        now = time.time()
        reason = self._reason(method, url, authorization, now)
        self.audit.append(
            {
                "at": datetime.fromtimestamp(now, UTC).isoformat(),
                "status": "Failure" if reason else "Success",
                "reason": reason,
                "method": method,
                "path": urlparse(url).path,
            }
        )
        return reason
