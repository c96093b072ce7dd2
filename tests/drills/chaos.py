"""The failure drill: many returns while the worker is SIGKILLed, the Temporal server restarts and
the ERP answers a share of calls with 429, 5xx and timeouts; then the exact audit.

`phased_drill` puts each disruption at a gate (every return parked there), so the small version
in the default suite is deterministic. `timed_drill` fires disruptions on a clock in the middle
of the traffic, for the large benchmark version, and reports how long the stragglers took.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tests.drills.audit import Audit, audit_returns
from tests.drills.courier import Courier, created_body
from tests.drills.drive import DriveError, drive_to
from tests.drills.stack import Stack

LOST_ANSWERS = 3
STUCK = "did not finish: "  # writes the ERP commits but answers 500, as when the answer is lost


@dataclass
class DrillResult:
    returns: int
    seconds: float
    audit: Audit
    disruptions: list[str] = field(default_factory=list)
    faults_injected: dict[str, int] = field(default_factory=dict)
    lost_answers: int = 0
    throttled: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "returns": self.returns,
            "seconds": round(self.seconds, 1),
            "disruptions": self.disruptions,
            "erp_faults_injected": self.faults_injected,
            "erp_lost_answers": self.lost_answers,
            "erp_429_governance": self.throttled,
            "erp_documents": dict(self.audit.documents),
            "did_not_finish": sum(f.startswith(STUCK) for f in self.audit.findings),
            "other_findings": sum(not f.startswith(STUCK) for f in self.audit.findings),
            "findings": self.audit.findings[:40],
            "clean": self.audit.clean,
        }


async def erp_faults(stack: Stack, rate: float, seed: int = 7) -> None:
    """`rate` of ERP API calls fail: a third 429, a third 500, a third hang then 504."""
    share = rate / 3
    await stack.erp.faults(
        rate_429=share, rate_5xx=share, rate_timeout=share, timeout_seconds=0.5, seed=seed
    )
    await stack.erp.lose_responses(LOST_ANSWERS)


async def bounded(items: list[Any], limit: int, work: Callable[[Any], Awaitable[Any]]) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(item: Any) -> None:
        async with gate:
            await work(item)

    await asyncio.gather(*(one(i) for i in items))


def outcome_of(k: int, outcomes: tuple[str, ...]) -> str:
    """The outcome the k-th return of a drill asks for: the mix in turn."""
    return outcomes[k % len(outcomes)]


async def create_returns(
    stack: Stack, n: int, limit: int = 20, outcomes: tuple[str, ...] = ("refund",)
) -> list[dict[str, Any]]:
    """`n` returns in Loop, the k-th asking for `outcomes[k % len(outcomes)]`, so an exchange's
    child and sales order, and a gift card's store credit, go through the same disruptions."""
    created: list[dict[str, Any]] = [{} for _ in range(n)]

    async def one(k: int) -> None:
        created[k] = await stack.create_return(outcome=outcome_of(k, outcomes))

    await bounded(list(range(n)), limit, one)
    return created  # in k order, so two groups of one mix pair up return by return


async def deliver_created(
    stack: Stack, returns: list[dict[str, Any]], concurrency: int, deadline: float = 120
) -> None:
    """Each return's return.created webhook, signed and retried until acked, as Loop sends it."""
    courier = Courier(stack.ingress_url)
    try:
        await bounded(returns, concurrency, lambda r: courier.deliver(created_body(r), deadline))
    finally:
        await courier.aclose()


async def finish(stack: Stack, return_ids: list[str], started: float, **extra: Any) -> DrillResult:
    counters = await stack.erp.counters()
    await stack.erp.faults()  # off, so the audit reads a quiet account
    audit = await audit_returns(stack.loop, stack.erp, return_ids)
    return DrillResult(
        returns=len(return_ids),
        seconds=time.monotonic() - started,
        audit=audit,
        faults_injected=counters.faults_injected,
        lost_answers=counters.lost_answers,
        throttled=counters.throttled,
        **extra,
    )


@dataclass(frozen=True)
class Traffic:
    """What a drill sends: how many returns, asking for which outcomes in turn, into how faulty
    an ERP."""

    returns: int
    outcomes: tuple[str, ...] = ("refund",)
    fault_rate: float = 0.2

    def count(self, outcome: str) -> int:
        """How many of the returns ask for `outcome`."""
        return sum(outcome_of(k, self.outcomes) == outcome for k in range(self.returns))

    async def start(self, stack: Stack) -> list[dict[str, Any]]:
        """The ERP's faults on, then the returns created in Loop."""
        await erp_faults(stack, self.fault_rate)
        return await create_returns(stack, self.returns, outcomes=self.outcomes)


async def phased_drill(
    stack: Stack, traffic: Traffic, *, concurrency: int = 10, timeout: float = 90
) -> DrillResult:
    started, returns = time.monotonic(), await traffic.start(stack)
    ids = [r["id"] for r in returns]
    await deliver_created(stack, returns, concurrency, timeout)
    disruptions: list[str] = []

    async def phase(final: set[str]) -> None:
        await bounded(
            ids, concurrency, lambda rid: drive_to(stack.client, rid, final, timeout=timeout)
        )

    await phase({"authorized"})
    stack.restart_worker()
    disruptions.append("worker SIGKILL + restart with every return at the receipt gate")
    await phase({"received"})
    await stack.restart_server()
    disruptions.append("dev server stop + restart with every return at the inspection gate")
    await phase({"closed"})
    return await finish(stack, ids, started, disruptions=disruptions)


async def timed_drill(
    stack: Stack,
    traffic: Traffic,
    *,
    worker_kills: int,
    server_restarts: int,
    every: float,
    concurrency: int = 50,
    straggle: float = 300,
) -> DrillResult:
    """Disruptions every `every` seconds (kills first, alternating), mid-traffic. A return
    not closed `straggle` seconds after its webhook is a finding, not a hang."""
    started, returns = time.monotonic(), await traffic.start(stack)
    ids = [r["id"] for r in returns]
    plan = [
        what
        for k in range(max(worker_kills, server_restarts))
        for what, count in (("worker", worker_kills), ("server", server_restarts))
        if k < count
    ]
    disruptions: list[str] = []

    async def disrupt() -> None:
        for what in plan:
            await asyncio.sleep(every)
            at = round(time.monotonic() - started, 1)
            if what == "worker":
                stack.restart_worker()
                disruptions.append(f"{at}s worker SIGKILL + restart")
            else:
                await stack.restart_server()
                disruptions.append(f"{at}s dev server stop + restart")

    courier = Courier(stack.ingress_url)

    stuck: list[str] = []

    async def one(loop_return: dict[str, Any]) -> None:
        await courier.deliver(created_body(loop_return), deadline=600)
        try:
            await drive_to(stack.client, loop_return["id"], {"closed"}, timeout=straggle, poll=0.5)
        except DriveError as err:  # reported with the audit, so one stuck return ends no run
            stuck.append(str(err)[:400])

    chaos = asyncio.create_task(disrupt())
    try:
        await bounded(returns, concurrency, one)
        await chaos
    finally:
        chaos.cancel()
        await courier.aclose()
    result = await finish(stack, ids, started, disruptions=disruptions)
    result.audit.findings[:0] = [f"{STUCK}{e}" for e in stuck]
    return result
