"""The drills' exact audit: one of each document per return, an exchange's sales order or a gift
card's store credit in place of the refund, and the money equal to Loop's figure to the cent."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

from adapters.sandbox.loop import LoopSandboxControl
from tests.drills.audit import audit_returns
from tests.drills.erp_records import ByReturn, ErpRecords, NetSuiteRecords, SoapErpRecords


class _Loop:
    def __init__(self, returns: dict[str, dict[str, Any]]) -> None:
        self.returns = returns

    async def records(self) -> dict[str, Any]:
        actions = [
            {"return_id": rid, "action": "process", "outcome": "queued"} for rid in self.returns
        ]
        return {"returns": self.returns, "actions": actions}


class _NetSuite(NetSuiteRecords):
    def __init__(self, found: ByReturn) -> None:
        self.found = found

    async def by_return(self) -> ByReturn:
        return self.found


class _Khaos(SoapErpRecords):
    def __init__(self, found: ByReturn) -> None:
        super().__init__("khaos", control=cast(Any, None))
        self.found = found

    async def by_return(self) -> ByReturn:
        return self.found

    def amount(self, record: dict[str, Any]) -> Decimal:
        return Decimal(record["total"])


def _loop_return(outcome: str) -> dict[str, Any]:
    """As Loop's records hold it: the outcome on the wire, each figure where it belongs."""
    wire = {"store_credit": "credit"}.get(outcome, outcome)
    figures = {"refund": "refund", "exchange": "exchange_credit_total", "store_credit": "gift_card"}
    amounts = dict.fromkeys(figures.values(), "0.00")
    return {"state": "closed", "outcome": wire, **amounts, figures[outcome]: "30.00"}


def _docs(*types: str, total: str = "30.00") -> dict[str, list[dict[str, Any]]]:
    return {t: [{"total": total}] for t in types}


REFUND = ("returnAuthorization", "itemReceipt", "creditMemo", "customerRefund")
EXCHANGE = ("returnAuthorization", "itemReceipt", "creditMemo", "salesOrder")


async def _findings(
    outcomes: dict[str, str], found: ByReturn, erp: Callable[[ByReturn], ErpRecords] = _NetSuite
) -> list[str]:
    loop = cast(LoopSandboxControl, _Loop({rid: _loop_return(o) for rid, o in outcomes.items()}))
    return (await audit_returns(loop, erp(found), list(outcomes))).findings


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


async def test_store_credit_is_the_erp_s_own_document_equal_to_loop_s_gift_card() -> None:
    # NetSuite refunds the credit memo to the gift card clearing account: a customerRefund
    assert await _findings({"1": "store_credit"}, {"1": _docs(*REFUND)}) == []
    short = _docs(*REFUND[:3]) | {"customerRefund": [{"total": "25.00"}]}
    assert await _findings({"1": "store_credit"}, {"1": short}) == [
        "1: customerRefund 25.00 != Loop refund 30.00"
    ]
    # Khaos puts it on account: an AccountCredit, and a Refund as well is paying twice
    khaos = ("Return", "ReturnReceipt", "CreditNote", "AccountCredit")
    assert await _findings({"1": "store_credit"}, {"1": _docs(*khaos)}, _Khaos) == []
    twice = _docs(*khaos, "Refund")
    [finding] = await _findings({"1": "store_credit"}, {"1": twice}, _Khaos)
    assert finding.startswith("1: ERP documents") and "'Refund': 1" in finding
