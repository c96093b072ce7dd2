"""Loop's error bodies, and how they map onto the typed adapter errors.

Loop answers failures in three shapes (`{"errors":{message,code}}`, `{"message":...}`,
`{"error":{code,http_code,message}}`), Laravel validation adds `{"message", "errors":{field:[..]}}`,
and state refusals may come with HTTP 200. So the body decides as much as the status does.
"""

from __future__ import annotations

from typing import Any

from adapters.errors import (
    AdapterError,
    AuthError,
    BusinessError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
    RetryableError,
)

NOT_FOUND_CODES = frozenset({"NOT_FOUND", "ORDER_NOT_FOUND"})
STATE_CODES = frozenset({"UNPROCESSABLE_RETURN", "UNPROCESSABLE_FLAGGED_RETURN"})


def _messages(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [m for item in value for m in _messages(item)]
    if isinstance(value, dict):
        if "message" in value:
            return _messages(value["message"])
        return [m for item in value.values() for m in _messages(item)]
    return []


def _code(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def error_of(body: Any) -> tuple[str, str | None] | None:
    """(message, code) when `body` is one of Loop's error shapes, else None (a success)."""
    if not isinstance(body, dict):
        return None
    message: str | None = None
    code: str | None = None
    errors = body.get("errors")
    error = body.get("error")
    if errors:
        detail = errors[0] if isinstance(errors, list) and errors else errors
        if isinstance(detail, dict):
            code = _code(detail.get("code"))
        message = "; ".join(_messages(detail) or _messages(body.get("message"))) or code
    elif error:
        if isinstance(error, dict):
            code = _code(error.get("http_code") or error.get("code"))
        message = "; ".join(_messages(error)) or code
    elif isinstance(body.get("message"), str):
        message = body["message"]
        code = _code(body.get("code"))
    else:
        return None
    message = message or "error"
    if code is None and "therefore cannot" in message:
        code = "UNPROCESSABLE_RETURN"  # state refusals sometimes come as a bare message
    return message, code


def _kind(status: int, code: str | None) -> type[AdapterError]:
    if status in (401, 403) or code == "NOT_AUTHORIZED":
        return AuthError
    if status == 429:
        return RateLimitedError
    if status >= 500 or status == 408 or code == "UNEXPECTED_ERROR":
        return RetryableError
    if status == 404 or code in NOT_FOUND_CODES:
        return NotFoundError
    if code in STATE_CODES:
        return ConflictError
    return BusinessError


def to_error(status: int, body: Any) -> AdapterError | None:
    """The typed error for this answer, or None when it is a success."""
    found = error_of(body)
    if found is None and 200 <= status < 300:
        return None
    message, code = found or (f"HTTP {status}", None)
    details = {"body": body} if isinstance(body, dict | list | str) else {}
    return _kind(status, code)(f"Loop: {message}", code=code, status=status, details=details)
