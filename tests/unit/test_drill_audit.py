"""The drills' exact audit: one of each document per return, an exchange's sales order in place
of its refund, and the money equal to Loop's figure to the cent."""

from __future__ import annotations

from typing import Any, cast

from adapters.sandbox.loop import LoopSandboxControl
from tests.drills.audit import audit_returns
from tests.drills.erp_records import ByReturn, NetSuiteRecords


class _Loop:
    def __init__(self, returns: dict[str, dict[str, Any]]) -> None:
        self.returns = returns

    async def records(self) -> dict[str, Any]:
        actions = [
            {"return_id": rid, "action": "process", "outcome": "queued"} for rid in self.returns
        ]
        return {"returns": self.returns, "actions": actions}


class _Erp(NetSuiteRecords):
    def __init__(self, found: ByReturn) -> None:
        self.found = found

    async def by_return(self) -> ByReturn:
        return self.found


def _loop_return(outcome: str) -> dict[str, Any]:
    exchange = outcome == "exchange"
    return {
        "state": "closed",
        "outcome": outcome,
        "refund": "0.00" if exchange else "30.00",
        "exchange_credit_total": "30.00" if exchange else "0.00",
    }


def _docs(*types: str, total: str = "30.00") -> dict[str, list[dict[str, Any]]]:
    return {t: [{"total": total}] for t in types}


REFUND = ("returnAuthorization", "itemReceipt", "creditMemo", "customerRefund")
EXCHANGE = ("returnAuthorization", "itemReceipt", "creditMemo", "salesOrder")


async def _findings(outcomes: dict[str, str], found: ByReturn) -> list[str]:
    loop = cast(LoopSandboxControl, _Loop({rid: _loop_return(o) for rid, o in outcomes.items()}))
    return (await audit_returns(loop, _Erp(found), list(outcomes))).findings


async def test_a_refund_and_an_exchange_each_with_their_own_documents_are_clean() -> None:
    found = {"1": _docs(*REFUND), "2": _docs(*EXCHANGE)}
    assert await _findings({"1": "refund", "2": "exchange"}, found) == []


async def test_an_exchange_refunded_as_well_or_ordered_twice_is_a_finding() -> None:
    refunded = _docs(*EXCHANGE, "customerRefund")
    twice = {**_docs(*EXCHANGE), "salesOrder": [{"total": "30.00"}, {"total": "30.00"}]}
    findings = await _findings({"1": "exchange", "2": "exchange"}, {"1": refunded, "2": twice})
    assert [f.split(":")[0] for f in findings] == ["1", "2"]
    assert "'customerRefund': 1" in findings[0] and "'salesOrder': 2" in findings[1]


async def test_a_refund_with_a_sales_order_or_an_exchange_credit_off_by_a_cent_is_a_finding() -> (
    None
):
    found = {"1": _docs(*REFUND, "salesOrder"), "2": _docs(*EXCHANGE, total="29.99")}
    findings = await _findings({"1": "refund", "2": "exchange"}, found)
    assert findings[0].startswith("1: ERP documents") and "'salesOrder': 1" in findings[0]
    assert findings[1:] == ["2: creditMemo 29.99 != Loop refund 30.00"]
