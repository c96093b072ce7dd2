"""NetSuite's error answers, shaped as SuiteTalk REST shapes them.

Domain code raises `NsError`; the app renders it. Bodies follow Oracle's documented form:
{type, title, status, o:errorDetails: [{detail, o:errorCode, o:errorPath?}]}.
"""

from __future__ import annotations

import itertools
from typing import Any

from .responses import NsJSONResponse

_RFC9110 = "https://www.rfc-editor.org/rfc/rfc9110.html#section-"
_TYPES = {
    400: _RFC9110 + "15.5.1",
    401: _RFC9110 + "15.5.2",
    403: _RFC9110 + "15.5.4",
    404: _RFC9110 + "15.5.5",
    405: _RFC9110 + "15.5.6",
    429: "https://www.rfc-editor.org/rfc/rfc6585.html#section-4",
    500: _RFC9110 + "15.6.1",
    503: _RFC9110 + "15.6.4",
    504: _RFC9110 + "15.6.5",
}
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Bad Request",  # sic: Oracle's documented 429 body
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

INVALID_LOGIN_DETAIL = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
    "Setup > Users/Roles > User Management > View Login Audit Trail."
)
CONCURRENCY_DETAIL = "Concurrent request limit exceeded. Request blocked."
_error_ids = itertools.count(1)


class NsError(Exception):
    def __init__(self, status: int, code: str, detail: str, path: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.path = path

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.code, self.detail, self.path)

    def response(self) -> NsJSONResponse:
        return error_response(self.status, self.code, self.detail, self.path)


def error_body(status: int, code: str, detail: str, path: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"detail": detail, "o:errorCode": code}
    if path:
        entry["o:errorPath"] = path
    body: dict[str, Any] = {
        "type": _TYPES.get(status, _TYPES[400] if status < 500 else _TYPES[500]),
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "o:errorDetails": [entry],
    }
    if status == 429:
        body["o:errorCode"] = "USER_ERROR"
    return body


def error_response(status: int, code: str, detail: str, path: str | None = None) -> NsJSONResponse:
    return NsJSONResponse(error_body(status, code, detail, path), status_code=status, error=True)


def status_body(status: int) -> dict[str, Any]:
    """The body NetSuite sends for a bare status (fault injection, lost answers, 429)."""
    if status == 429:
        return error_body(429, "CONCURRENCY_LIMIT_EXCEEDED", CONCURRENCY_DETAIL)
    if status == 401:
        return error_body(401, "INVALID_LOGIN", INVALID_LOGIN_DETAIL)
    if status >= 500:
        return error_body(
            status,
            "UNEXPECTED_ERROR",
            f"An unexpected error occurred. Error ID: sbx{next(_error_ids):08d}",
        )
    return error_body(status, "INVALID_REQUEST", "The request could not be processed.")


def not_found(record_type: str, record_id: str) -> NsError:
    return NsError(
        404,
        "NONEXISTENT_ID",
        f"The record instance does not exist. Provide a valid record instance ID. "
        f"({record_type} {record_id})",
    )


def invalid_content(detail: str, path: str | None = None) -> NsError:
    return NsError(400, "INVALID_CONTENT", detail, path)


def user_error(detail: str, path: str | None = None) -> NsError:
    return NsError(400, "USER_ERROR", detail, path)


def invalid_request(detail: str) -> NsError:
    return NsError(400, "INVALID_REQUEST", detail)
