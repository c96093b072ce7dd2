"""CatchUpSweepWorkflow: find what Loop's webhooks failed to tell us, and hand it over.

Loop retries a failed webhook only a few times, switches a subscription off after about ten
consecutive failures and sends no event ids. Every few minutes (a Temporal Schedule) this lists
the returns Loop changed since the last sweep and signals-with-start each one's workflow with its
current state, then checks that the webhook subscriptions are still switched on. The listing is
one heartbeating activity that streams page by page, so the history stays a handful of events.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypeVar

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.common import RetryPolicy


class SweepActs:
    CATCH_UP = "sweep.catch_up"
    SUBSCRIPTIONS = "sweep.check_subscriptions"


class SweepRequest(BaseModel):
    overlap: timedelta = timedelta(minutes=2)
    first_lookback: timedelta = timedelta(days=1)


class CatchUpInput(SweepRequest):
    sweep_id: str
    now: datetime


class SweepResult(BaseModel):
    sweep_id: str
    since: datetime
    until: datetime
    listed: int = 0
    signalled: int = 0  # workflows handed a state they had not seen
    missed: int = 0  # of those, changes no accepted webhook had delivered
    unreadable: list[str] = Field(default_factory=list)  # return ids Loop sent unparseable
    inactive_subscriptions: list[str] = Field(default_factory=list)


SWEEP_RETRY = RetryPolicy(maximum_attempts=5, initial_interval=timedelta(seconds=2))
R = TypeVar("R", bound=BaseModel)


def sweep_id() -> str:
    """This run's id, which the sweep's ledger rows carry."""
    info = workflow.info()
    return f"{info.workflow_id}/{info.run_id}"


async def streaming_activity(name: str, arg: BaseModel, result_type: type[R]) -> R:
    """One long activity that heartbeats as it streams page by page, so a sweep's history
    stays a handful of events however many returns it reads."""
    result: R = await workflow.execute_activity(
        name,
        arg,
        result_type=result_type,
        start_to_close_timeout=timedelta(minutes=30),
        heartbeat_timeout=timedelta(minutes=2),
        retry_policy=SWEEP_RETRY,
    )
    return result


@workflow.defn(name="CatchUpSweepWorkflow")
class CatchUpSweepWorkflow:
    @workflow.run
    async def run(self, request: SweepRequest) -> SweepResult:
        result = await streaming_activity(
            SweepActs.CATCH_UP,
            CatchUpInput(**request.model_dump(), sweep_id=sweep_id(), now=workflow.now()),
            SweepResult,
        )
        inactive: list[str] = await workflow.execute_activity(
            SweepActs.SUBSCRIPTIONS,
            result,
            result_type=list[str],
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=SWEEP_RETRY,
        )
        return result.model_copy(update={"inactive_subscriptions": inactive})
