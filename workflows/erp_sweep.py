"""ErpStatusSweepWorkflow: hear what people did to returns in the ERP's own screens.

No ERP here pushes return changes (Khaos and Prima have no return-status push at all), so on a
Temporal Schedule this reads the RA status and review flag of every return still in flight,
in pages, and signals `erp_event` to a return whose RA was closed or cancelled in the ERP or
whose review flag was ticked there. Each is signalled once while it lasts (the ledger
remembers; a box unticked and ticked again later is a new review), and the workflow ignores a
flag it set itself, so a review never ping-pongs between the two sides.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.lifecycle import TERMINAL_STATES, ReturnLifecycle
    from workflows.sweep import streaming_activity, sweep_id

# The ERP holds an RA from `authorized` on; a closed or cancelled return has nothing to hear
_BEFORE_RA = frozenset({"requested", "validated"})
WATCHED_STATES = tuple(
    s.id for s in ReturnLifecycle.states if s.id not in TERMINAL_STATES | _BEFORE_RA
)


class ErpSweepActs:
    POLL = "sweep.erp_statuses"


class ErpSweepRequest(BaseModel):
    page: int = Field(default=200, ge=1, le=1000)  # returns per ERP read


class ErpSweepInput(ErpSweepRequest):
    sweep_id: str
    now: datetime


class ErpSweepResult(BaseModel):
    sweep_id: str
    erp_system: str = ""
    watched: int = 0  # returns in flight the sweep asked the ERP about
    read: int = 0  # of those, returns the ERP holds an RA for
    closed: int = 0  # RAs closed or cancelled in the ERP, signalled this sweep
    review: int = 0  # review flags ticked in the ERP, signalled this sweep
    finished_returns: int = 0  # signalled returns whose workflow had already ended
    without_ra: list[str] = Field(default_factory=list)  # in flight here, no RA there


@workflow.defn(name="ErpStatusSweepWorkflow")
class ErpStatusSweepWorkflow:
    @workflow.run
    async def run(self, request: ErpSweepRequest) -> ErpSweepResult:
        return await streaming_activity(
            ErpSweepActs.POLL,
            ErpSweepInput(**request.model_dump(), sweep_id=sweep_id(), now=workflow.now()),
            ErpSweepResult,
        )
