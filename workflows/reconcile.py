"""ReconciliationWorkflow: Loop vs the ERP vs returnflow's store, for one period.

The period is cut into windows; each window is one activity that streams Loop's list and the
ERP's documents into the store's staging table, then one activity matches them with SQL, opens
the exceptions and writes the report's totals. After `windows_per_run` windows the workflow
continues as new with its cursor, so a year-long run keeps a small history, and a worker that
restarts resumes at the window it was on instead of starting over.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError


class ReconActs:
    BEGIN = "reconcile.begin"
    STAGE = "reconcile.stage_window"
    FIND = "reconcile.find"


class ReconcileRequest(BaseModel):
    start: datetime | None = None  # both unset: the `days_back` whole UTC days before today
    end: datetime | None = None
    days_back: int = 1
    window: timedelta = timedelta(days=1)
    grace: timedelta = timedelta(hours=24)  # how long the ERP may lag Loop before it counts
    amount_tolerance: Decimal = Decimal("0.05")
    windows_per_run: int = 30
    # carried across continue-as-new; set by the workflow itself
    run_id: str | None = None
    as_of: datetime | None = None
    next_window: int = 0


class Window(BaseModel):
    run_id: str
    index: int
    start: datetime
    end: datetime
    erp_only: bool = False  # the grace tail after the period: late ERP documents only


class BeginInput(BaseModel):
    run_id: str
    start: datetime
    end: datetime
    windows: int
    at: datetime


class FindInput(BaseModel):
    run_id: str
    start: datetime
    end: datetime
    as_of: datetime
    grace: timedelta
    amount_tolerance: Decimal


class ReconcileSummary(BaseModel):
    run_id: str
    start: datetime
    end: datetime
    loop_count: int
    erp_count: int
    count_delta: int
    amount_delta: Decimal
    finding_counts: dict[str, int] = Field(default_factory=dict)
    exceptions_opened: int = 0


class Progress(BaseModel):
    run_id: str | None
    done: int
    total: int
    finished: bool


def period(request: ReconcileRequest, now: datetime) -> tuple[datetime, datetime]:
    if request.start is not None and request.end is not None:
        return request.start, request.end
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=request.days_back), today


def windows(
    run_id: str, start: datetime, end: datetime, span: timedelta, tail_end: datetime
) -> list[Window]:
    """The period in windows of at most `span`, then the ERP-only tail up to `tail_end`."""
    cuts: list[Window] = []
    cursor = start
    while cursor < end:
        stop = min(cursor + span, end)
        cuts.append(Window(run_id=run_id, index=len(cuts), start=cursor, end=stop))
        cursor = stop
    if tail_end > end:
        cuts.append(Window(run_id=run_id, index=len(cuts), start=end, end=tail_end, erp_only=True))
    return cuts


@workflow.defn(name="ReconciliationWorkflow")
class ReconciliationWorkflow:
    def __init__(self) -> None:
        self.progress = Progress(run_id=None, done=0, total=0, finished=False)

    @workflow.query(name="progress", description="Windows staged so far, of how many.")
    def get_progress(self) -> Progress:
        return self.progress

    @workflow.run
    async def run(self, request: ReconcileRequest) -> ReconcileSummary:
        retry = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_attempts=10)
        start, end = period(request, workflow.now())
        if end <= start:
            raise ApplicationError("the period's end must be after its start", non_retryable=True)
        as_of = request.as_of or workflow.now()
        run_id = request.run_id or f"recon-{start:%Y%m%dT%H%M%S}-{end:%Y%m%dT%H%M%S}"
        cuts = windows(run_id, start, end, request.window, min(end + request.grace, as_of))
        self.progress = Progress(
            run_id=run_id, done=request.next_window, total=len(cuts), finished=False
        )
        if request.run_id is None:
            await workflow.execute_activity(
                ReconActs.BEGIN,
                BeginInput(run_id=run_id, start=start, end=end, windows=len(cuts), at=as_of),
                start_to_close_timeout=timedelta(minutes=1),
                retry_policy=retry,
            )
        for cut in cuts[request.next_window :]:
            if cut.index - request.next_window >= request.windows_per_run:
                workflow.continue_as_new(
                    request.model_copy(
                        update={
                            "start": start,
                            "end": end,
                            "run_id": run_id,
                            "as_of": as_of,
                            "next_window": cut.index,
                        }
                    )
                )
            await workflow.execute_activity(
                ReconActs.STAGE,
                cut,
                start_to_close_timeout=timedelta(hours=2),
                heartbeat_timeout=timedelta(minutes=2),
                retry_policy=retry,
            )
            self.progress = self.progress.model_copy(update={"done": cut.index + 1})
        summary: ReconcileSummary = await workflow.execute_activity(
            ReconActs.FIND,
            FindInput(
                run_id=run_id,
                start=start,
                end=end,
                as_of=as_of,
                grace=request.grace,
                amount_tolerance=request.amount_tolerance,
            ),
            result_type=ReconcileSummary,
            start_to_close_timeout=timedelta(hours=1),
            heartbeat_timeout=timedelta(minutes=5),
            retry_policy=retry,
        )
        self.progress = self.progress.model_copy(update={"finished": True})
        return summary
