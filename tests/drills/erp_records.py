"""One ERP sandbox as a drill sees it: faults in, its documents by return out, in its own names.

The audit's rule is the same on every ERP (one return authorization, receipt, credit and refund
per return, the refund's place taken by the sales order of an exchange or the store credit of
a gift card; the money equal to Loop's to the cent); what differs is what each ERP calls those
documents, where it keeps our external id and the amount, and what its control API reports.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from adapters.sandbox.erp_control import ErpSandboxControl
from adapters.sandbox.netsuite import NetSuiteSandboxControl

ByReturn = dict[str, dict[str, list[dict[str, Any]]]]  # return id -> record type -> records


def return_of(external_id: str) -> str | None:
    """ "loop-<return id>-<kind…>" -> return id (Loop's ids never contain a dash)."""
    parts = external_id.split("-")
    return parts[1] if len(parts) >= 3 and parts[0] == "loop" else None


@dataclass(frozen=True)
class Counters:
    faults_injected: dict[str, int]
    lost_answers: int
    throttled: int  # 429s from the ERP's own concurrency governance (not injected ones)


class ErpRecords:
    system: str
    one_each: tuple[str, ...]  # return authorization, receipt, credit, refund
    sales_order: str  # an exchange's replacement order, in place of the refund
    store_credit: str  # a gift card's liability, in place of the refund (may share its type)
    control: NetSuiteSandboxControl | ErpSandboxControl

    def documents_for(self, outcome: str) -> tuple[str, ...]:
        """One of each, by Loop's outcome; the last is the one that settles the credit."""
        settles = {"exchange": self.sales_order, "store_credit": self.store_credit}
        return (*self.one_each[:3], settles.get(outcome, self.one_each[3]))

    def money_for(self, outcome: str) -> tuple[str, ...]:
        """The documents carrying Loop's figure: the credit, and what pays it out (an exchange's
        order is priced at the new item's rate, not the credit)."""
        credit, settles = self.documents_for(outcome)[2:]
        return (credit,) if outcome == "exchange" else (credit, settles)

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every document type the audit counts, each once."""
        return tuple(dict.fromkeys((*self.one_each, self.sales_order, self.store_credit)))

    async def faults(self, **config: Any) -> None:
        """See adapters/sandbox/faults.FaultConfig; no arguments turns them off."""
        await self.control.faults(**config)

    async def lose_responses(self, count: int) -> None:
        await self.control.lose_responses(count)

    async def by_return(self) -> ByReturn:
        raise NotImplementedError

    async def counters(self) -> Counters:
        raise NotImplementedError

    def amount(self, record: dict[str, Any]) -> Decimal:
        raise NotImplementedError


def _grouped(records: list[tuple[str, dict[str, Any], str | None]]) -> ByReturn:
    found: ByReturn = defaultdict(lambda: defaultdict(list))
    for record_type, row, external_id in records:
        rid = return_of(str(external_id or ""))
        if rid is not None:
            found[rid][record_type].append(row)
    return found


class NetSuiteRecords(ErpRecords):
    system = "netsuite"
    one_each = ("returnAuthorization", "itemReceipt", "creditMemo", "customerRefund")
    sales_order = "salesOrder"
    store_credit = "customerRefund"  # to the gift card clearing account
    control: NetSuiteSandboxControl

    def __init__(self, control: NetSuiteSandboxControl) -> None:
        self.control = control

    async def by_return(self) -> ByReturn:
        records: dict[str, list[dict[str, Any]]] = (await self.control.dump())["records"]
        flat = [(t, row, row.get("externalId")) for t, rows in records.items() for row in rows]
        return _grouped(flat)

    async def counters(self) -> Counters:
        dump = await self.control.dump(with_records=False)
        return Counters(
            dump["faults"]["injected"], dump["lostAnswers"]["lost"], dump["governance"]["rejected"]
        )

    def amount(self, record: dict[str, Any]) -> Decimal:
        return Decimal(str(record["total"]))


class SoapErpRecords(ErpRecords):
    """Khaos Control and Prima: one document ledger, each document with the caller's reference."""

    NAMES = {
        "khaos": ("Return", "ReturnReceipt", "CreditNote", "Refund"),
        "prima": ("SalesReturn", "GoodsReceipt", "SalesCredit", "CreditPayment"),
    }
    STORE_CREDIT = {"khaos": "AccountCredit", "prima": "CreditPayment"}  # Prima: GiftVoucher
    control: ErpSandboxControl

    def __init__(self, system: str, control: ErpSandboxControl) -> None:
        self.system = system
        self.one_each = self.NAMES[system]
        self.sales_order = "SalesOrder"
        self.store_credit = self.STORE_CREDIT[system]
        self.control = control

    async def by_return(self) -> ByReturn:
        docs = await self.control.documents()
        return _grouped([(d["type"], d, d.get("ref")) for d in docs])

    async def counters(self) -> Counters:
        dump = await self.control.dump()
        injected = (await self.control.fault_counts())["injected"]
        return Counters(injected, dump["lostAnswers"]["lost"], 0)  # no governance to throttle

    def amount(self, record: dict[str, Any]) -> Decimal:
        return Decimal(str(record["amount"]))
