"""Every finding kind and the totals, matched in SQL over staged records, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from adapters.store import Store
from adapters.store.reconcile import ReconciliationLedger

S = datetime(2026, 11, 16, tzinfo=UTC)
END, H = S + timedelta(days=1), timedelta(hours=1)
AS_OF = END + 12 * H  # grace 24 h: the cutoff is S + 12 h
CUTOFF = AS_OF - 24 * H
RUN = "run-1"


def loop(return_id: str, state: str, amount: str, refunded: str = "0", at: datetime = S + H):
    return {
        "source": "loop",
        "key": return_id,
        "return_id": return_id,
        "state": state,
        "storefront": "uk",
        "currency": "GBP",
        "amount": Decimal(amount),
        "refunded": Decimal(refunded),
        "at": at,
        "changed_at": at + H,
    }


def erp(kind: str, key: str, return_id: str | None, amount: str = "0", at: datetime = S + H):
    return {
        "source": kind,
        "key": key,
        "return_id": return_id,
        "currency": "GBP",
        "amount": Decimal(amount),
        "at": at,
    }


def seed(store: Store, ledger: ReconciliationLedger) -> None:
    ledger.begin(RUN, S, END, 2, AS_OF)
    ledger.stage(
        RUN,
        [
            loop("1", "open", "50"),  # received in the ERP, still open in Loop
            loop("2", "closed", "40", "40"),  # clean
            loop("3", "closed", "30", "30"),  # refunded, no credit memo
            loop("4", "open", "25"),  # no RA: orphaned
            loop("5", "closed", "60", "60"),  # credit 55: amount delta
            loop("6", "cancelled", "10"),  # cancelled: no RA expected
            loop("7", "open", "15", at=S + 20 * H),  # no RA yet, but inside the grace window
            loop("8", "closed", "20", "20"),  # credit 20.05: within the 0.05 tolerance
            loop("9", "open", "35"),  # Loop restocked, nothing received
        ],
    )
    ras = [erp("return_authorization", f"ra-{n}", n) for n in ("1", "2", "3", "5", "8", "9")]
    ledger.stage(
        RUN,
        [
            *ras,
            erp("return_authorization", "ra-x", "777", at=S + 5 * H),  # nobody knows 777
            erp("return_authorization", "ra-y", "888", at=S + 5 * H),  # the store knows 888
            erp("return_authorization", "ra-z", None, at=S + 6 * H),  # not our external id
            erp("return_authorization", "ra-late", "999", at=END + H),  # after the period
            erp("item_receipt", "ir-1", "1", at=S + 2 * H),
            erp("item_receipt", "ir-2", "2", at=S + 2 * H),
            erp("credit_memo", "cm-2", "2", "40"),
            erp("credit_memo", "cm-5", "5", "55"),
            erp("credit_memo", "cm-8", "8", "20.05"),
        ],
    )
    store.upsert_return("888", created_at=S - 3 * H, state="authorized", storefront="uk")
    store.upsert_return("2", created_at=S + H, state="closed", inspected_at=S + 3 * H)
    for n, return_id in enumerate(("2", "9")):
        store.record_webhook(
            f"restock-{n}",
            received_at=S + 4 * H,
            body=b"{}",
            status_code=202,
            accepted=True,
            signature_ok=True,
            topic="restock",
            trigger="restock.requested",
            return_id=return_id,
        )


def test_each_finding_kind(store: Store) -> None:
    ledger = ReconciliationLedger(store)
    seed(store, ledger)
    counts = ledger.find(RUN, S, END, CUTOFF, Decimal("0.05"))
    found = {(f.kind, f.return_id) for f in ledger.findings(RUN, page=2)}
    assert found == {
        ("orphaned_return", "4"),
        ("refund_without_credit", "3"),
        ("amount_mismatch", "5"),
        ("erp_document_without_return", "777"),
        ("erp_document_without_return", "erp-ra-z"),
        ("received_but_open_in_loop", "1"),
        ("restock_without_inspection", "9"),
    }
    assert counts == {
        "orphaned_return": 1,
        "refund_without_credit": 1,
        "amount_mismatch": 1,
        "erp_document_without_return": 2,
        "received_but_open_in_loop": 1,
        "restock_without_inspection": 1,
    }
    mismatch = next(f for f in ledger.findings(RUN) if f.kind == "amount_mismatch")
    assert (mismatch.loop_amount, mismatch.erp_amount, mismatch.erp_document_id) == (
        Decimal("60.0000"),
        Decimal("55.0000"),
        "cm-5",
    )
    assert ledger.find(RUN, S, END, CUTOFF, Decimal("0.05")) == counts  # a re-run: same rows


def test_totals_and_deltas(store: Store) -> None:
    ledger = ReconciliationLedger(store)
    seed(store, ledger)
    counts = ledger.find(RUN, S, END, CUTOFF, Decimal("0.05"))
    totals = ledger.totals(RUN, S, END)
    assert (totals["loop_count"], totals["erp_count"]) == (8, 9)
    assert totals["money"] == [
        {
            "currency": "GBP",
            "loop_amount": "275.00",  # Loop's figures, cancelled returns aside
            "erp_credited": "115.05",
            "net_delta": "159.95",
            "absolute_delta": "35.05",  # 5 and 0.05 on credited returns, 30 refunded uncredited
        }
    ]
    loop_states = {(r["state"], r["n"]) for r in totals["loop"]}
    assert loop_states == {("open", 4), ("closed", 4), ("cancelled", 1)}
    erp_kinds = {(r["kind"], r["storefront"], r["n"]) for r in totals["erp"]}
    assert erp_kinds == {
        ("return_authorization", "uk", 7),  # six Loop returns' and 888 (the store's)
        ("return_authorization", "unknown", 2),
        ("item_receipt", "uk", 2),
        ("credit_memo", "uk", 3),
    }
    assert {(r["state"], r["n"]) for r in totals["store"]} == {("closed", 1)}
    ledger.finish(RUN, totals, counts, AS_OF)
    run = ledger.run(RUN)
    assert run is not None
    assert (run.count_delta, run.amount_delta, run.finding_counts) == (-1, Decimal("35.05"), counts)
    assert list(ledger.findings(RUN))  # findings stay; the staged records are gone
    assert ledger.stage(RUN, []) == 0
