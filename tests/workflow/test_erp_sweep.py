"""The ERP status sweep on the dev server: what people do in NetSuite's own screens (close an
RA, tick its review flag) reaches the return once, and a flag returnflow set is not echoed."""

from __future__ import annotations

import asyncio
import uuid

from adapters.sandbox.netsuite import NetSuiteSandboxControl
from tests.harness import LoopDriver, erp_records
from tests.workflow.conftest import Live
from tests.workflow.support import (
    authorized_return,
    config,
    eventually,
    held_once_and_loop_flagged_once,
    loop_actions,
    loop_says,
    resolution,
    review_cleared_and_closed,
    the_one_open_case,
    workflow_result,
)
from workers import ops
from workflows.erp_sweep import ErpStatusSweepWorkflow, ErpSweepRequest, ErpSweepResult
from workflows.exceptions import ExceptionKind, OwnerTeam

REVIEW_FIELD = "custbody_rf_review"


async def sweep_erp(live: Live) -> ErpSweepResult:
    result: ErpSweepResult = await live.client.execute_workflow(
        ErpStatusSweepWorkflow.run,
        ErpSweepRequest(page=2),  # small pages: every sweep here spans several
        id=f"erp-sweep-test-{uuid.uuid4().hex[:8]}",
        task_queue=live.settings.task_queue,
    )
    return result


async def in_the_screens(live: Live, return_id: str, action: str) -> None:
    """A person in NetSuite closes the return's RA, or ticks or unticks its review box."""
    [ra] = (await erp_records(live.netsuite_url, return_id))["returnAuthorization"]
    field = REVIEW_FIELD if action in ("check", "uncheck") else None
    async with NetSuiteSandboxControl(live.netsuite_url) as control:
        await control.in_the_screens(ra["id"], action, field)


async def acted_on_in_netsuite(live: Live, loop_driver: LoopDriver, action: str) -> str:
    """A return waiting for its goods whose RA a person in NetSuite then closes or ticks."""
    rid = await authorized_return(live, loop_driver, "#1001", config(live), skus=["TEE-BLK-M"])
    await stored_state(live, rid, "authorized")  # the sweep watches by the projection
    await in_the_screens(live, rid, action)
    return rid


async def stored_state(live: Live, return_id: str, state: str) -> None:
    async def read() -> str | None:
        row = live.store.get_return(return_id)
        return row.state if row else None

    await eventually(read, lambda s: s == state, what=f"projection at {state}")


async def test_an_ra_closed_in_netsuite_cancels_the_return_and_loop_once(
    live: Live, loop_driver: LoopDriver
) -> None:
    rid = await acted_on_in_netsuite(live, loop_driver, "close")

    swept = await sweep_erp(live)
    assert swept.erp_system == "netsuite" and swept.closed >= 1
    result = await workflow_result(live, rid)
    assert result.state == "cancelled"
    assert await loop_actions(loop_driver, rid) == [("cancel", "done")]
    events = {t.event: t for t in live.store.audit_trail(rid)}
    assert events["cancel"].actor == "erp-sweep"
    assert events["cancel"].detail["reason"] == "RA closed in netsuite (netsuite status H)"
    assert "erp_ra_closed" not in events  # the ERP closed it; returnflow does not again

    again = await sweep_erp(live)  # the return has ended: it is not watched any more
    assert rid not in again.without_ra
    assert await loop_actions(loop_driver, rid) == [("cancel", "done")]


async def test_a_review_ticked_in_netsuite_holds_the_return_once(
    live: Live, loop_driver: LoopDriver
) -> None:
    rid = await acted_on_in_netsuite(live, loop_driver, "check")

    first = await sweep_erp(live)
    assert first.review >= 1
    case = await the_one_open_case(live, rid, ExceptionKind.MANUAL_REVIEW, OwnerTeam.OPS)
    assert (case.evidence["source"], case.evidence["by"]) == ("erp", "erp-sweep")
    await eventually(
        lambda: loop_actions(loop_driver, rid), lambda a: a == [("flag", "done")], what="flagged"
    )
    second = await sweep_erp(live)  # the box is still ticked: nothing is signalled again
    assert second.watched >= 1
    await held_once_and_loop_flagged_once(live, loop_driver, rid, case)

    await loop_says(live, loop_driver, rid, "open")  # CX clears Loop; ops proceed
    await ops.resolve(live.client, rid, resolution(case, "ops@test", "proceed"))
    await in_the_screens(live, rid, "uncheck")  # finance clears the box, then ticks it again
    await sweep_erp(live)
    await in_the_screens(live, rid, "check")
    again = await sweep_erp(live)
    assert again.review >= 1  # a new review, not the old one repeated
    second = await eventually(
        lambda: ops.status(live.client, rid),
        lambda s: any(c.id != case.id for c in s.open_exceptions),
        what="a second review case",
    )
    [new_case] = second.open_exceptions
    await eventually(  # mirrored to Loop again, once for this review
        lambda: loop_actions(loop_driver, rid),
        lambda a: a == [("flag", "done"), ("flag", "done")],
        what="flagged again",
    )
    await review_cleared_and_closed(live, loop_driver, rid, new_case)


async def test_a_loop_review_ticks_netsuite_once_and_the_sweep_does_not_echo_it(
    live: Live, loop_driver: LoopDriver
) -> None:
    rid = await authorized_return(live, loop_driver, "#1001", config(live), skus=["TEE-BLK-M"])
    await loop_says(live, loop_driver, rid, "review")
    case = await the_one_open_case(live, rid, ExceptionKind.MANUAL_REVIEW, OwnerTeam.OPS)
    assert case.evidence["source"] == "loop"

    async def ticked() -> bool:
        [ra] = (await erp_records(live.netsuite_url, rid))["returnAuthorization"]
        return bool(ra.get(REVIEW_FIELD))

    await eventually(ticked, bool, what="NetSuite review box ticked")
    await eventually(  # the audit row lands just after the ERP call
        lambda: asyncio.to_thread(live.store.audit_trail, rid),
        lambda trail: "erp_flagged" in [t.event for t in trail],
        what="erp_flagged audited",
    )

    await loop_says(live, loop_driver, rid, "open")  # CX clears the review in Loop
    await ops.resolve(live.client, rid, resolution(case, "ops@test", "proceed"))
    await stored_state(live, rid, "authorized")
    await sweep_erp(live)  # sees the box returnflow ticked: the return is not held again
    status = await ops.status(live.client, rid)
    assert status.open_exceptions == [] and not status.blocked
    assert await loop_actions(loop_driver, rid) == []  # Loop started it: never flagged back

    await in_the_screens(live, rid, "uncheck")  # finance clears returnflow's box...
    await sweep_erp(live)
    await in_the_screens(live, rid, "check")  # ...and later ticks it for a reason of theirs
    await sweep_erp(live)
    theirs = await the_one_open_case(live, rid, ExceptionKind.MANUAL_REVIEW, OwnerTeam.OPS)
    assert theirs.evidence["source"] == "erp" and theirs.id != case.id
    await eventually(
        lambda: loop_actions(loop_driver, rid), lambda a: a == [("flag", "done")], what="flagged"
    )
    await review_cleared_and_closed(live, loop_driver, rid, theirs)
