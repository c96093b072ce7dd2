"""NetSuite error bodies -> typed errors: by code first, then by detail text, then status."""

from __future__ import annotations

import httpx
import pytest

from adapters.erp.netsuite.errors import classify, error_from_response
from adapters.errors import (
    AdapterError,
    AuthError,
    BusinessError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
    RetryableError,
)
from adapters.sandbox.netsuite.errors import error_body, status_body


def body(status: int, code: str, detail: str, path: str | None = None) -> dict:
    return error_body(status, code, detail, path)


@pytest.mark.parametrize(
    ("status", "payload", "expected", "code"),
    [
        (401, status_body(401), AuthError, "INVALID_LOGIN"),
        (
            404,
            body(404, "NONEXISTENT_ID", "The record instance does not exist."),
            NotFoundError,
            "NONEXISTENT_ID",
        ),
        (
            400,
            body(400, "INVALID_CONTENT", "Invalid value", "item.items[0].item"),
            BusinessError,
            "INVALID_CONTENT",
        ),
        (
            400,
            body(400, "USER_ERROR", "Please enter value(s) for: Location"),
            BusinessError,
            "USER_ERROR",
        ),
        (
            400,
            body(400, "USER_ERROR", "A record with external ID 'x' already exists."),
            ConflictError,
            "USER_ERROR",
        ),
        (
            400,
            body(400, "USER_ERROR", "DUP_RCRD: This record already exists"),
            ConflictError,
            "USER_ERROR",
        ),
        (429, status_body(429), RateLimitedError, "CONCURRENCY_LIMIT_EXCEEDED"),
        (
            400,
            body(400, "USER_ERROR", "Concurrent request limit exceeded. Request blocked."),
            RateLimitedError,
            "USER_ERROR",
        ),
        (400, body(400, "USER_ERROR", "RCRD_HAS_BEEN_CHANGED"), RetryableError, "USER_ERROR"),
        (500, status_body(500), RetryableError, "UNEXPECTED_ERROR"),
        (503, "<html>Service Unavailable</html>", RetryableError, None),
        (
            403,
            body(403, "INSUFFICIENT_PERMISSION", "Permission Violation"),
            AuthError,
            "INSUFFICIENT_PERMISSION",
        ),
    ],
)
def test_classify(
    status: int, payload: object, expected: type[AdapterError], code: str | None
) -> None:
    error = classify(status, payload)
    assert type(error) is expected
    assert error.code == code
    assert error.status == status


def test_code_wins_over_detail_text() -> None:
    # an INVALID_CONTENT whose text happens to say "already exists" is still a bad value
    error = classify(400, body(400, "INVALID_CONTENT", "Item already exists on line", "item"))
    assert type(error) is BusinessError
    assert error.details["paths"] == ["item"]


def test_429_body_has_the_documented_shape() -> None:
    payload = status_body(429)
    assert payload["title"] == "Bad Request"
    assert payload["o:errorCode"] == "USER_ERROR"
    assert (
        payload["o:errorDetails"][0]["detail"]
        == "Concurrent request limit exceeded. Request blocked."
    )


def test_non_json_error_body() -> None:
    response = httpx.Response(502, text="bad gateway")
    error = error_from_response(response)
    assert isinstance(error, RetryableError)
    assert "bad gateway" in str(error.details)
