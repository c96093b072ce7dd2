"""Wiring for the sweeps' and reconciliation's workflows and activities.

Kept apart from wiring.py because these activities need the Temporal client itself (the sweeps
signal other workflows), which the adapter set does not carry.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.erp_sweep import ErpSweepActivities
from activities.reconcile import ReconcileActivities
from activities.sweep import SweepActivities
from workers import ops
from workers.ingress import deliver
from workers.settings import Settings
from workers.wiring import Adapters
from workflows.erp_sweep import ErpStatusSweepWorkflow
from workflows.model import ErpEvent, LoopEvent
from workflows.reconcile import ReconciliationWorkflow
from workflows.sweep import CatchUpSweepWorkflow

WORKFLOWS = [CatchUpSweepWorkflow, ErpStatusSweepWorkflow, ReconciliationWorkflow]


def report_activities(client: Client, settings: Settings, adapters: Adapters) -> list[Any]:
    async def handover(event: LoopEvent) -> bool:
        try:
            await deliver(client, settings, event)
        except WorkflowAlreadyStartedError:
            return False  # the return's workflow finished: nothing to catch up
        return True

    async def tell(return_id: str, event: ErpEvent) -> bool:
        try:
            await ops.erp_event(client, return_id, event)
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                return False  # the return's workflow has ended: nothing left to tell
            raise
        return True

    return [
        *SweepActivities(adapters.loop, adapters.store, handover).all(),
        *ErpSweepActivities(adapters.erp, adapters.store, tell).all(),
        *ReconcileActivities(adapters.loop, adapters.erp, adapters.store).all(),
    ]
