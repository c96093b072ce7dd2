"""Turn adapter failures into what Temporal understands: retry, or hand to a person.

Retryable adapter errors propagate so the activity's retry policy handles them; business errors
become non-retryable ApplicationErrors whose type the workflow maps to an exception kind.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from temporalio.exceptions import ApplicationError

from adapters.errors import (
    AlreadyReturnedError,
    AuthError,
    BusinessError,
    ConflictError,
    GoodsReceivedError,
    NotFoundError,
    PartialBundleError,
    UnknownItemError,
    UnmappedError,
    UnmappedLocationError,
)
from workflows.contracts import FailureType

P = ParamSpec("P")
R = TypeVar("R")


def _mapping_failure(err: BusinessError) -> ApplicationError | None:
    """Unmapped values and undecidable bundles: details carry what a person must map."""
    if isinstance(err, UnmappedError):
        kind = (
            FailureType.UNMAPPED_LOCATION
            if isinstance(err, UnmappedLocationError)
            else FailureType.UNMAPPED_CODE
        )
        return ApplicationError(
            err.message, {"kind": err.kind, "value": err.value}, type=kind, non_retryable=True
        )
    if isinstance(err, PartialBundleError):
        return ApplicationError(
            err.message,
            {"bundle_sku": err.bundle_sku},
            type=FailureType.PARTIAL_BUNDLE,
            non_retryable=True,
        )
    if isinstance(err, GoodsReceivedError):
        return ApplicationError(err.message, type=FailureType.GOODS_RECEIVED, non_retryable=True)
    return None


def business_failure(err: BusinessError | AuthError, not_found: FailureType) -> ApplicationError:
    mapped = _mapping_failure(err) if isinstance(err, BusinessError) else None
    if mapped is not None:
        return mapped
    if isinstance(err, UnknownItemError):
        return ApplicationError(
            err.message, err.skus, type=FailureType.UNKNOWN_ITEM, non_retryable=True
        )
    if isinstance(err, NotFoundError):
        return ApplicationError(err.message, type=not_found, non_retryable=True)
    if isinstance(err, AlreadyReturnedError):
        return ApplicationError(err.message, type=FailureType.ALREADY_RETURNED, non_retryable=True)
    if isinstance(err, ConflictError):
        return ApplicationError(err.message, type=FailureType.CONFLICT, non_retryable=True)
    if isinstance(err, AuthError):
        return ApplicationError(err.message, type=FailureType.AUTH, non_retryable=True)
    return ApplicationError(err.message, err.code, type=FailureType.BUSINESS, non_retryable=True)


def typed_failures(
    not_found: FailureType = FailureType.BUSINESS,
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Decorate an activity so business errors leave it as typed, non-retryable failures."""

    def wrap(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @wraps(fn)
        async def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await fn(*args, **kwargs)
            except (BusinessError, AuthError) as err:
                raise business_failure(err, not_found) from err

        return run

    return wrap
