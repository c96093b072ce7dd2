"""SLA timers beside the gates, on the time-skipping test server.

Activities still run for real against the sandboxes; only the waiting at a gate is skipped with
`ts_env.sleep`, so days of SLA pass in milliseconds. The time-skipping server cannot register
search attributes, so these returns run with `publish_search_attributes=False`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from adapters.sandbox.server import ServedApp
from tests.harness import Live, LoopDriver, live_worker, start_return
from tests.workflow.support import eventually
from workers import ops
from workflows.exceptions import ExceptionCase, ExceptionKind, ExceptionStatus, OwnerTeam, spec
from workflows.model import Escalation, ReturnConfig, ReturnStatus

WAREHOUSE = "warehouse@test"
MINUTE = timedelta(minutes=1)


@pytest.fixture(scope="module")
async def ts_live(
    ts_env: WorkflowEnvironment, sandboxes: tuple[ServedApp, ServedApp], store_url: str
) -> AsyncIterator[Live]:
    """A worker on the time-skipping server, wired to the same sandboxes and store."""
    loop, ns = sandboxes
    async with live_worker(ts_env.client, loop.url, ns.url, store_url) as live:
        yield live


def ts_config(live: Live) -> ReturnConfig:
    return live.settings.return_config().model_copy(update={"publish_search_attributes": False})


async def status_until(
    live: Live, return_id: str, accept: Callable[[ReturnStatus], bool], what: str
) -> ReturnStatus:
    return await eventually(lambda: ops.status(live.client, return_id), accept, what=what)


async def audit_events(live: Live, return_id: str) -> list[str]:
    return [t.event for t in live.store.audit_trail(return_id)]


def one_open(status: ReturnStatus, kind: ExceptionKind) -> ExceptionCase:
    cases = [c for c in status.open_exceptions if c.kind is kind]
    assert len(cases) == 1, status.open_exceptions
    return cases[0]


async def test_receipt_sla_breach_opens_a_non_blocking_case_that_escalates(
    ts_env: WorkflowEnvironment, ts_live: Live, loop_driver: LoopDriver
) -> None:
    config = ts_config(ts_live)
    loop_return = await loop_driver.create("#1001", skus=["TEE-BLK-M"])
    rid = loop_return["id"]
    await start_return(ts_live.client, ts_live.settings, loop_return, config=config)
    authorized = await ops.wait_for_state(ts_live.client, rid, {"authorized"}, timeout=10)
    assert authorized.breaches == [] and authorized.open_exceptions == []

    # just short of the SLA: warned in the audit trail, nothing breached yet
    await ts_env.sleep(config.slas.receipt - MINUTE)
    early = await ops.status(ts_live.client, rid)
    assert early.breaches == [] and early.open_exceptions == []
    await eventually(
        lambda: audit_events(ts_live, rid), lambda events: "sla_warning" in events, what="warning"
    )

    await ts_env.sleep(2 * MINUTE)
    breached = await status_until(
        ts_live, rid, lambda s: bool(s.open_exceptions), "receipt SLA breach"
    )
    assert [b.gate for b in breached.breaches] == ["receipt"]
    # the receipt SLA runs from authorization (the gate starts a moment after that audit row)
    late_by = breached.breaches[0].due_at - authorized_at(ts_live, rid) - config.slas.receipt
    assert timedelta(0) <= late_by < timedelta(seconds=5)
    case = one_open(breached, ExceptionKind.IN_TRANSIT_TOO_LONG)
    assert (case.owner, case.blocking, case.gate) == (OwnerTeam.OPS, False, "receipt")
    assert case.escalation_level == 2  # breached; the lead is next
    assert not breached.blocked and breached.state == "authorized"
    stored = ts_live.store.get_exception(case.id)
    assert stored is not None and stored.status is ExceptionStatus.OPEN
    row = ts_live.store.get_return(rid)
    assert row is not None and row.sla_breached

    # still the owner's desk until the ops lead's delay has passed
    await ts_env.sleep(config.escalation["ops"].lead_after - 2 * MINUTE)
    assert (await ops.status(ts_live.client, rid)).open_exceptions[0].escalation_level == 2
    await ts_env.sleep(2 * MINUTE)
    escalated = await status_until(
        ts_live,
        rid,
        lambda s: bool(s.open_exceptions) and s.open_exceptions[0].escalation_level == 3,
        "escalation",
    )
    assert one_open(escalated, ExceptionKind.IN_TRANSIT_TOO_LONG).id == case.id
    stored = ts_live.store.get_exception(case.id)
    assert stored is not None and stored.escalation_level == 3
    assert "sla_escalated" in await audit_events(ts_live, rid)

    # the breach never closed the gate: the goods can still be received, which ends the case
    received = await ops.receive(ts_live.client, rid, WAREHOUSE)
    assert received.state == "received" and received.gates_passed == ["receipt"]
    assert received.open_exceptions == []
    resolved = ts_live.store.get_exception(case.id)
    assert resolved is not None
    assert (resolved.status, resolved.resolved_by, resolved.resolution) == (
        ExceptionStatus.RESOLVED,
        "system",
        "gate_passed",
    )


def authorized_at(live: Live, return_id: str) -> datetime:
    [row] = [t for t in live.store.audit_trail(return_id) if t.event == "authorize"]
    return row.at


async def test_approval_sla_opens_an_overdue_case_for_finance(
    ts_env: WorkflowEnvironment, ts_live: Live, loop_driver: LoopDriver
) -> None:
    config = ts_config(ts_live)
    loop_return = await loop_driver.create("#1002")  # 194.40: needs a person's approval
    rid = loop_return["id"]
    await start_return(ts_live.client, ts_live.settings, loop_return, config=config)
    await ops.wait_for_state(ts_live.client, rid, {"authorized"}, timeout=10)
    await ops.receive(ts_live.client, rid, WAREHOUSE)
    await ops.inspect(ts_live.client, rid, WAREHOUSE)
    await ops.wait_for_state(ts_live.client, rid, {"awaiting_approval"}, timeout=10)

    await ts_env.sleep(config.slas.approval + MINUTE)
    overdue = await status_until(
        ts_live, rid, lambda s: bool(s.open_exceptions), "approval SLA breach"
    )
    assert [b.gate for b in overdue.breaches] == ["approval"]
    case = one_open(overdue, ExceptionKind.APPROVAL_OVERDUE)
    assert (case.owner, case.blocking, case.gate) == (OwnerTeam.FINANCE, False, "approval")
    assert overdue.state == "awaiting_approval" and not overdue.blocked
    queue = ts_live.store.list_exceptions(owner=OwnerTeam.FINANCE, return_id=rid)
    assert [c.id for c in queue] == [case.id]

    await ops.approve(ts_live.client, rid, "finance@test")
    closed = await ops.wait_for_state(ts_live.client, rid, {"closed"}, timeout=10)
    assert closed.open_exceptions == []
    assert closed.decision is not None and closed.decision.decided_by == "finance@test"
    assert [b.gate for b in closed.breaches] == ["approval"]  # the breach stays on the record


async def test_a_blocking_case_past_its_own_sla_tells_cx_and_climbs_to_the_lead(
    ts_env: WorkflowEnvironment, ts_live: Live, loop_driver: LoopDriver
) -> None:
    config = ts_config(ts_live).model_copy(
        update={"escalation": {"ops": Escalation(lead_after=timedelta(hours=2), lead="ops-lead")}}
    )
    loop_return = await loop_driver.create(
        # a SKU no test maps by hand (a saved mapping would let it through)
        "#1006",
        skus=[],
        extra_lines=[{"sku": "TEE-BLK-XXL", "price": "25.00", "tax": "5.00"}],
    )
    rid = loop_return["id"]
    await start_return(ts_live.client, ts_live.settings, loop_return, config=config)
    blocked = await status_until(ts_live, rid, lambda s: s.blocked, "SKU mismatch")
    sku_case = one_open(blocked, ExceptionKind.SKU_MISMATCH)
    kind_sla = spec(ExceptionKind.SKU_MISMATCH).sla  # 4 hours, not the generic 24
    assert sku_case.due_at - sku_case.opened_at == kind_sla

    await ts_env.sleep(kind_sla + MINUTE)
    told = await status_until(
        ts_live, rid, lambda s: len(s.open_exceptions) == 2, "customer status case"
    )
    cx = one_open(told, ExceptionKind.CUSTOMER_STATUS_BLOCKED)
    assert (cx.owner, cx.blocking, cx.escalation_level) == (OwnerTeam.CX, False, 2)
    assert [b.gate for b in told.breaches] == ["validation"]
    assert one_open(told, ExceptionKind.SKU_MISMATCH).escalation_level == 0

    await ts_env.sleep(timedelta(hours=2) + MINUTE)
    climbed = await status_until(
        ts_live,
        rid,
        lambda s: one_open(s, ExceptionKind.SKU_MISMATCH).escalation_level == 3,
        "escalation to the ops lead",
    )
    assert one_open(climbed, ExceptionKind.CUSTOMER_STATUS_BLOCKED).escalation_level == 3
    escalations = [t for t in ts_live.store.audit_trail(rid) if t.event == "sla_escalated"]
    assert {t.detail["to"] for t in escalations} == {"ops-lead"}
    stored = ts_live.store.get_exception(sku_case.id)
    assert stored is not None and stored.escalation_level == 3

    cancelled = await ops.cancel(ts_live.client, rid, "ops@test", "customer gave up")
    assert cancelled.state == "cancelled" and cancelled.open_exceptions == []


async def test_goods_stuck_at_the_3pl_open_an_ops_case_the_inspection_closes(
    ts_env: WorkflowEnvironment, ts_live: Live, loop_driver: LoopDriver
) -> None:
    config = ts_config(ts_live)
    loop_return = await loop_driver.create("#1001", skus=["TEE-BLK-M"])
    rid = loop_return["id"]
    await start_return(ts_live.client, ts_live.settings, loop_return, config=config)
    await ops.wait_for_state(ts_live.client, rid, {"authorized"}, timeout=10)
    await ops.receive(ts_live.client, rid, WAREHOUSE)

    await ts_env.sleep(config.slas.inspection + MINUTE)
    stuck = await status_until(ts_live, rid, lambda s: bool(s.open_exceptions), "inspection SLA")
    case = one_open(stuck, ExceptionKind.RECEIVED_NOT_INSPECTED)
    assert (case.owner, case.blocking, case.gate) == (OwnerTeam.OPS, False, "inspection")
    assert stuck.state == "received" and [b.gate for b in stuck.breaches] == ["inspection"]
    queue = ts_live.store.list_exceptions(
        owner=OwnerTeam.OPS, kind=ExceptionKind.RECEIVED_NOT_INSPECTED
    )
    assert case.id in [c.id for c in queue]

    await ops.inspect(ts_live.client, rid, WAREHOUSE)
    done = await ops.wait_for_state(ts_live.client, rid, {"closed"}, timeout=10)
    assert done.open_exceptions == []
    resolved = ts_live.store.get_exception(case.id)
    assert resolved is not None and resolved.resolution == "gate_passed"
