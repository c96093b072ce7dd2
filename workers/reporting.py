"""Wiring for issue 7: the sweep's and reconciliation's workflows and activities.

Kept apart from wiring.py because these activities need the Temporal client itself (the sweep
signals-with-start other workflows), which the adapter set does not carry.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.reconcile import ReconcileActivities
from activities.sweep import SweepActivities
from workers.ingress import deliver
from workers.settings import Settings
from workers.wiring import Adapters
from workflows.model import LoopEvent
from workflows.reconcile import ReconciliationWorkflow
from workflows.sweep import CatchUpSweepWorkflow

WORKFLOWS = [CatchUpSweepWorkflow, ReconciliationWorkflow]


def report_activities(client: Client, settings: Settings, adapters: Adapters) -> list[Any]:
    async def handover(event: LoopEvent) -> bool:
        try:
            await deliver(client, settings, event)
        except WorkflowAlreadyStartedError:
            return False  # the return's workflow finished: nothing to catch up
        return True

    return [
        *SweepActivities(adapters.loop, adapters.store, handover).all(),
        *ReconcileActivities(adapters.loop, adapters.erp, adapters.store).all(),
    ]
