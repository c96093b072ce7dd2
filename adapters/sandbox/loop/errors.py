"""Loop-shaped failures for the sandbox: the same non-uniform bodies the real API sends."""

from __future__ import annotations

from typing import Any

UNAUTHORIZED = {
    "error": {"code": "401", "http_code": "GEN-UNAUTHORIZED", "message": "Unauthorized."}
}


class LoopHttpError(Exception):
    """Raised by a handler; the app turns it into `body` with `status`."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


def coded(message: str, code: str) -> dict[str, Any]:
    return {"errors": {"message": message, "code": code}}


def not_found(what: str = "Return", code: str = "NOT_FOUND") -> LoopHttpError:
    return LoopHttpError(404, coded(f"{what} not found.", code))


def invalid(errors: dict[str, list[str]]) -> LoopHttpError:
    """Laravel's validation answer: the first message, then every message per field."""
    first = next(iter(errors.values()))[0]
    return LoopHttpError(422, {"message": first, "errors": errors})


def fault_body(status: int) -> dict[str, Any]:
    """Bodies for injected faults, in the shape Loop uses for each status."""
    if status == 401:
        return UNAUTHORIZED
    if status == 404:
        return coded("Not found.", "NOT_FOUND")
    if status == 429:
        return {"message": "Too Many Attempts."}
    if status >= 500:
        return coded("An unexpected error occurred.", "UNEXPECTED_ERROR")
    return {"message": f"HTTP {status}"}
