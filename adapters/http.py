"""Bounded retries with backoff and jitter for outside HTTP calls.

Each attempt rebuilds its request (NetSuite needs a fresh OAuth nonce per try), and the caller
decides what counts as retryable, so one loop serves every client.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base_delay: float = 0.2
    max_delay: float = 5.0

    def delay(self, attempt: int) -> float:
        """Full jitter: no synchronised retries across workers (Oracle's and AWS's advice)."""
        return random.uniform(0, min(self.max_delay, self.base_delay * (2**attempt)))


async def send_with_retries(
    send: Callable[[], Awaitable[httpx.Response]],
    policy: RetryPolicy,
    *,
    before_retry: Callable[[], Awaitable[httpx.Response | None]] | None = None,
) -> httpx.Response:
    """Send until a non-retryable answer or the attempts run out; return the last response.

    Transport errors (timeouts, resets) are retried too and re-raised when attempts run out.
    `before_retry` may look for the effect of a lost write and return it instead of retrying.
    """
    last_error: Exception | None = None
    for attempt in range(policy.attempts):
        if attempt:
            await asyncio.sleep(policy.delay(attempt))
            if before_retry is not None:
                found = await before_retry()
                if found is not None:
                    return found
        try:
            response = await send()
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            last_error = exc
            continue
        if response.status_code not in RETRYABLE_STATUS or attempt == policy.attempts - 1:
            return response
        last_error = None
    assert last_error is not None
    raise last_error
