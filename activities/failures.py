"""Turn adapter failures into what Temporal understands: retry, or hand to a person.

Retryable adapter errors propagate so the activity's retry policy handles them; business errors
become non-retryable ApplicationErrors whose type the workflow maps to an exception kind.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from temporalio.exceptions import ApplicationError

from adapters.errors import AuthError, BusinessError, ConflictError, NotFoundError, UnknownItemError
from workflows.contracts import FailureType

P = ParamSpec("P")
R = TypeVar("R")


def business_failure(err: BusinessError | AuthError, not_found: FailureType) -> ApplicationError:
    if isinstance(err, UnknownItemError):
        return ApplicationError(
            err.message, err.skus, type=FailureType.UNKNOWN_ITEM, non_retryable=True
        )
    if isinstance(err, NotFoundError):
        return ApplicationError(err.message, type=not_found, non_retryable=True)
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
