"""Loop's webhook signature: base64(HMAC-SHA256(secret, raw body)) in `X-Loop-Signature`.

Loop signs the exact bytes it sends, which PHP's `json_encode` produced: compact separators,
`/` escaped as `\\/`, non-ASCII as `\\uXXXX`. A receiver must therefore verify the raw bytes it
received, never a re-serialised parse; `loop_json` exists so our sandbox sends what Loop sends.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

HEADER = "X-Loop-Signature"


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def loop_json(obj: Any) -> bytes:
    """Serialise as Loop (PHP json_encode) does; Decimals become decimal strings."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=True, default=_default)
    # "/" can only occur inside JSON strings, so a blanket replace is exact.
    return text.replace("/", "\\/").encode("ascii")


def sign(body: bytes, secret: str) -> str:
    """The header value Loop sends for `body`: standard base64 with padding, no prefix."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(body: bytes, header: str | None, secret: str) -> bool:
    """True only when `header` is Loop's signature of `body`; never raises."""
    if not header or not secret or not isinstance(header, str):
        return False
    try:
        given = header.strip().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(given, sign(body, secret).encode("ascii"))


def verify_any(body: bytes, header: str | None, secrets: Sequence[str]) -> bool:
    """Verify against each secret during a rotation; every secret is tried (no early exit)."""
    if isinstance(secrets, str):  # a lone secret passed by mistake would verify per character
        secrets = [secrets]
    results = [verify(body, header, secret) for secret in secrets]
    return any(results)
