"""The exact audit every drill ends with, read from the sandboxes' own records (/_sandbox/).

For each return: exactly one return authorization, item receipt, credit memo and customer
refund in the ERP, under the ERP's own names (found by external id loop-<return>-…), their
amounts equal to Loop's refund figure to the cent, Loop's return closed by exactly one
successful process or close. An exchange has one sales order in place of the refund, and its
credit equals Loop's exchange credit; store credit has the ERP's store-credit document in place
of the refund, equal to Loop's gift card. Anything else is a finding.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from adapters.sandbox.catalog import cents
from adapters.sandbox.loop import LoopSandboxControl
from adapters.sandbox.loop.returns import OUTCOME_OF_WIRE
from tests.drills.erp_records import ErpRecords

FINISHING_ACTIONS = ("process", "close")
LOOP_FIGURE = {"exchange": "exchange_credit_total", "store_credit": "gift_card"}  # else refund


@dataclass
class Audit:
    returns: int
    documents: Counter[str] = field(default_factory=Counter)  # record type -> count, all returns
    findings: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.findings


async def audit_returns(loop: LoopSandboxControl, erp: ErpRecords, return_ids: list[str]) -> Audit:
    found = await erp.by_return()
    loop_records = await loop.records()
    finished = Counter(  # process (Loop refunds) or close (the ERP refunded): refusals left out
        str(a["return_id"])
        for a in loop_records["actions"]
        if a.get("action") in FINISHING_ACTIONS and a.get("outcome") in ("queued", "done")
    )
    report = Audit(returns=len(return_ids))
    for rid in return_ids:
        docs = found.get(rid, {})
        for record_type, rows in docs.items():
            report.documents[record_type] += len(rows)
        loop_return = loop_records["returns"].get(rid)
        if loop_return is None:
            report.findings.append(f"{rid}: unknown to Loop")
            continue
        outcome = OUTCOME_OF_WIRE.get(loop_return["outcome"], loop_return["outcome"])
        expected = dict.fromkeys(erp.documents_for(outcome), 1)
        counts = {t: len(docs.get(t, [])) for t in erp.kinds}
        if counts != {t: expected.get(t, 0) for t in counts}:
            report.findings.append(f"{rid}: ERP documents {counts}")
        if loop_return["state"] != "closed":
            report.findings.append(f"{rid}: Loop state {loop_return['state']}")
        if finished[rid] != 1:
            report.findings.append(f"{rid}: finished in Loop {finished[rid]} times")
        figure = LOOP_FIGURE.get(outcome, "refund")
        loop_refund = cents(Decimal(str(loop_return[figure])))
        for record_type in erp.money_for(outcome):
            for row in docs.get(record_type, []):
                erp_amount = cents(erp.amount(row))
                if erp_amount != loop_refund:
                    report.findings.append(
                        f"{rid}: {record_type} {erp_amount} != Loop refund {loop_refund}"
                    )
    strays = set(found) - set(return_ids)
    if strays:
        report.findings.append(f"ERP documents for returns nobody created: {sorted(strays)[:10]}")
    return report
