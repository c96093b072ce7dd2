"""Post many credit notes in one import while each caller still waits for its own row.

Every `submit` joins the open batch; the batch goes out when it is full or its window closes.
The import answers per row, so one refused row fails only its own caller (a typed business
error) and the rest get their documents. A row missing from the answer, or a batch that failed
in transit, fails its callers as retryable: rows are keyed by ASSOCIATED_REF, so the retry finds
the note the first post may have made instead of making a second one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from adapters.errors import AdapterError, RetryableError

Row = TypeVar("Row")
Result = TypeVar("Result")


class Batcher(Generic[Row, Result]):
    def __init__(
        self,
        post: Callable[[list[Row]], Awaitable[dict[str, Result | AdapterError]]],
        *,
        window: float,
        size: int,
    ) -> None:
        self._post = post
        self._window = window
        self._size = size
        self._rows: dict[str, Row] = {}
        self._waiting: dict[str, asyncio.Future[Result]] = {}
        self._timer: asyncio.Task[None] | None = None
        self._flushes: set[asyncio.Task[None]] = set()
        self.batches_posted = 0

    async def submit(self, key: str, row: Row) -> Result:
        """This row's result once its batch is posted; a second submit of a key joins the first."""
        future = self._waiting.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._waiting[key] = future
            self._rows[key] = row
        if len(self._rows) >= self._size:
            self._start_flush()
        elif self._timer is None:
            self._timer = asyncio.create_task(self._after_window())
        return await asyncio.shield(future)

    async def _after_window(self) -> None:
        await asyncio.sleep(self._window)
        self._timer = None
        self._start_flush()

    def _start_flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        rows, waiting = self._rows, self._waiting
        self._rows, self._waiting = {}, {}
        if rows:
            task = asyncio.create_task(self._flush(rows, waiting))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    async def _flush(
        self, rows: dict[str, Row], waiting: dict[str, asyncio.Future[Result]]
    ) -> None:
        self.batches_posted += 1
        try:
            outcomes = await self._post(list(rows.values()))
        except AdapterError as exc:
            for future in waiting.values():
                _settle(future, exc)
            return
        except Exception as exc:  # every caller must hear of it
            for future in waiting.values():
                _settle(future, RetryableError(f"batch post failed: {exc!r}"))
            return
        for key, future in waiting.items():
            outcome = outcomes.get(key)
            if outcome is None:
                outcome = RetryableError(
                    f"row {key} missing from the batch answer", code="ROW_MISSING"
                )
            _settle(future, outcome)

    async def aclose(self) -> None:
        """Post what is still waiting, so no caller hangs."""
        self._start_flush()
        if self._flushes:
            await asyncio.gather(*self._flushes, return_exceptions=True)


def _settle(future: asyncio.Future[Result], outcome: Result | BaseException) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
