"""NetSuite's error body -> our typed errors, so an activity knows a retry from a business case.

Body: {type, title, status, o:errorCode?, o:errorDetails: [{detail, o:errorCode, o:errorPath?}]}.
Classify by code first (details before the top-level code, which on a 429 is a bare USER_ERROR),
then by the detail text (SOAP-era names such as DUP_RCRD still turn up there), then by status.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from adapters.errors import (
    AdapterError,
    AlreadyReturnedError,
    AuthError,
    BusinessError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
    RetryableError,
)

_BY_CODE: dict[str, type[AdapterError]] = {
    "INVALID_LOGIN": AuthError,
    "INSUFFICIENT_PERMISSION": AuthError,
    "NONEXISTENT_ID": NotFoundError,
    "CONCURRENCY_LIMIT_EXCEEDED": RateLimitedError,
    "UNEXPECTED_ERROR": RetryableError,
    "RCRD_HAS_BEEN_CHANGED": RetryableError,  # optimistic lock: re-read and re-apply
    "IDEMPOTENCY_ERROR": ConflictError,
    "DUP_RCRD": ConflictError,
    "INVALID_CONTENT": BusinessError,
    "INVALID_REQUEST": BusinessError,
}

_BY_DETAIL: list[tuple[re.Pattern[str], type[AdapterError]]] = [
    (
        re.compile(
            r"concurrent request limit|CONCURRENCY_LIMIT|SSS_REQUEST_LIMIT_EXCEEDED|"
            r"WS_REQUEST_BLOCKED",
            re.I,
        ),
        RateLimitedError,
    ),
    (re.compile(r"cannot return more than", re.I), AlreadyReturnedError),
    (re.compile(r"DUP_RCRD|already exists|duplicate", re.I), ConflictError),
    (re.compile(r"RCRD_HAS_BEEN_CHANGED|record has been changed", re.I), RetryableError),
    (re.compile(r"INVALID_LOGIN|invalid login", re.I), AuthError),
]


def _by_status(status: int) -> type[AdapterError]:
    if status in (401, 403):
        return AuthError
    if status == 404:
        return NotFoundError
    if status == 409:
        return ConflictError
    if status == 429:
        return RateLimitedError
    if status >= 500 or status == 408:
        return RetryableError
    return BusinessError


def _details(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        return []
    details = body.get("o:errorDetails")
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []


def classify(status: int, body: Any) -> AdapterError:
    """One typed error for a NetSuite error answer (body may be anything, even not JSON)."""
    details = _details(body)
    top_code = body.get("o:errorCode") if isinstance(body, dict) else None
    codes = [str(d.get("o:errorCode")) for d in details if d.get("o:errorCode")]
    codes += [str(top_code)] if top_code else []
    text = " | ".join(str(d.get("detail", "")) for d in details)
    if not text and isinstance(body, dict):
        text = str(body.get("title", ""))

    cls = next((_BY_CODE[c] for c in codes if c in _BY_CODE), None)
    if cls is None:
        scan = f"{text} {' '.join(codes)}"
        cls = next((c for pattern, c in _BY_DETAIL if pattern.search(scan)), None)
    if cls is None:
        cls = _by_status(status)

    code = next((c for c in codes if c in _BY_CODE), codes[0] if codes else None)
    paths = [str(d["o:errorPath"]) for d in details if d.get("o:errorPath")]
    message = f"NetSuite {status} {code or ''}: {text or 'no detail'}".replace("  ", " ")
    return cls(
        message,
        code=code,
        status=status,
        details={"errors": details, "paths": paths} if details else {"body": body},
    )


def error_from_response(response: httpx.Response) -> AdapterError:
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = response.text[:500]
    return classify(response.status_code, body)
