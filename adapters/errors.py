"""Typed failures every adapter raises, so activities can tell a retry from a business case.

Retryable: the outside system may answer differently next time (timeouts, 429, 5xx).
Business: it will answer the same way until a person changes data (not found, mismatch); these
become exception cases, never retry storms.
"""

from __future__ import annotations

from typing import Any


class AdapterError(Exception):
    """Base of every adapter failure; `code` is the outside system's own error code."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.details = details or {}


class RetryableError(AdapterError):
    """Timeouts, throttling, server errors: safe to retry (writes are idempotent)."""


class RateLimitedError(RetryableError):
    """The outside system refused for load (HTTP 429, concurrency limit)."""


class AuthError(AdapterError):
    """Credentials refused: a configuration problem, not worth retrying blindly."""


class BusinessError(AdapterError):
    """The outside system refused on the merits: a person has to look."""


class NotFoundError(BusinessError):
    """The record asked for does not exist."""


class UnknownItemError(BusinessError):
    """A SKU or item the ERP does not know."""

    def __init__(self, message: str, *, skus: list[str], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.skus = skus


class ConflictError(BusinessError):
    """A duplicate or a state the outside system will not move from."""


class AlreadyReturnedError(BusinessError):
    """The order lines are already (fully) on other returns: a duplicate return request."""


class UnmappedError(BusinessError):
    """A value the mapping file has no entry for: a person maps it, nothing guesses."""

    def __init__(self, message: str, *, kind: str, value: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.kind = kind  # e.g. "reason", "disposition", "payment_method", "sku"
        self.value = value


class UnmappedCodeError(UnmappedError):
    """A reason, disposition, grade or payment-method code with no mapping."""


class UnmappedLocationError(UnmappedError):
    """A return node (warehouse, 3PL, store) or symbolic location with no ERP location."""


class PartialBundleError(BusinessError):
    """Part of a bundle or kit came back and its split rule cannot divide the money."""

    def __init__(self, message: str, *, bundle_sku: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.bundle_sku = bundle_sku


class GoodsReceivedError(ConflictError):
    """Refused because goods already arrived (an RA with receipts cannot just be closed)."""
