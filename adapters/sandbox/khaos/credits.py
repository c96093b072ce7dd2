"""IKosWeb money: credit notes imported in batches (one result per row), ProcessReturn with
the faults Khaos documents, and store credit left on the customer's account."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from adapters.erp.soap import SoapCall, decimal_of, element, parse, text_of, to_text
from adapters.sandbox.erp_ledger import Doc
from adapters.sandbox.soap_app import SoapFault

from .operations import (
    ALREADY_PROCESSED,
    NO_RETURN,
    NOT_DEFINED,
    PARTIALLY_PROCESSED,
    Operations,
    RowError,
    money,
    results,
    row,
)
from .state import STOCK_MISSING


class Credits(Operations):
    def import_credit_notes(self, call: SoapCall) -> str:
        rows = []
        for record in parse(call.args.get("CreditNotes", "<CREDIT_NOTES/>")):
            ref = text_of(record, "ASSOCIATED_REF")
            try:
                note, duplicate = self._credit_note(text_of(record, "RETURN_CODE"), ref)
                rows.append(
                    row("CREDIT_NOTE", {**self._credit_fields(note), "DUPLICATE": duplicate})
                )
            except RowError as error:
                rows.append(row("CREDIT_NOTE", {"ASSOCIATED_REF": ref}, error))
        return results(rows)

    def _credit_fields(self, note: Doc) -> dict[str, object]:
        return {
            "ASSOCIATED_REF": note.ref,
            "CREDIT_NOTE_CODE": note.code,
            "RETURN_CODE": note.data["return_code"],
            "NET": note.data["net"],
            "DISCOUNT": note.data["discount"],
            "TAX": note.data["tax"],
            "GROSS": money(note.amount or Decimal(0)),
            "CURRENCY_CODE": note.currency,
            "STATUS": note.status,
        }

    def _credit_note(self, return_code: str, ref: str) -> tuple[Doc, bool]:
        if not ref or not return_code:
            raise RowError("MISSING_FIELD", "ASSOCIATED_REF and RETURN_CODE are mandatory")
        existing = self.s.ledger.by_ref("CreditNote", ref)
        if existing is not None:
            return existing, True
        ret = self.s.ledger.get(return_code, "Return")
        if ret is None or ret.status == "Cancelled":
            raise RowError("RETURN_NOT_FOUND", NO_RETURN)
        if ret.data.get("credit_note"):
            raise RowError("ALREADY_CREDITED", ALREADY_PROCESSED)
        net = discount = tax = Decimal(0)
        for line in ret.data["lines"]:
            if line["received"] == 0:  # nothing came back: credit without moving stock
                line["processing_type"] = STOCK_MISSING
            net += line["net"] * line["qty"]
            discount += line["discount"] * line["qty"]
            tax += line["tax"] * line["qty"]
        note = Doc(
            "CreditNote",
            self.s.ledger.next_code("CN"),
            ref,
            "Processed",
            amount=net + tax,
            currency=ret.currency,
            data={
                "return_code": ret.code,
                "company_code": ret.data["company_code"],
                "net": money(net),
                "discount": money(discount),
                "tax": money(tax),
            },
        )
        ret.data["credit_note"] = note.code
        ret.status = "Processed"
        return self.s.ledger.add(note), False

    def process_return(self, call: SoapCall) -> str:
        code, auth = call.args.get("ReturnCode", ""), call.args.get("ManualAuthCode", "")
        if not code or not auth:
            raise SoapFault(NOT_DEFINED)
        ret = self._return(code)
        if ret.data.get("refund"):
            raise SoapFault(ALREADY_PROCESSED)
        if ret.status == "Part Received":
            raise SoapFault(PARTIALLY_PROCESSED)
        note_code = ret.data.get("credit_note")
        if not note_code:  # the real call processes the return and its credit note together
            note_code = self._credit_note(ret.code, f"{ret.ref}-cn")[0].code
        note = self.s.ledger.docs[note_code]
        if note.status != "Processed":
            raise SoapFault(ALREADY_PROCESSED)
        ref = call.args.get("AssociatedRef") or None
        refund = self.s.ledger.add(
            Doc(
                "Refund",
                self.s.ledger.next_code("RF"),
                ref,
                "Issued",
                amount=note.amount,
                currency=note.currency,
                data={"return_code": ret.code, "credit_note": note.code, "manual_auth_code": auth},
            )
        )
        note.status = ret.status = "Issued"
        ret.data["refund"] = refund.code
        return to_text(
            element(
                "RESULT",
                {
                    "RETURN_CODE": ret.code,
                    "CREDIT_NOTE_CODE": note.code,
                    "REFUND_CODE": refund.code,
                    "MANUAL_AUTH_CODE": auth,
                    "GROSS": money(note.amount or Decimal(0)),
                    "CURRENCY_CODE": note.currency,
                },
            )
        )

    def issue_account_credit(self, call: SoapCall) -> str:
        rows = []
        for record in parse(call.args.get("Credits", "<ACCOUNT_CREDITS/>")):
            ref = text_of(record, "ASSOCIATED_REF")
            try:
                doc = self._account_credit(record, ref)
                fields = {
                    "ACCOUNT_CREDIT_CODE": doc.code,
                    "AMOUNT": money(doc.amount or Decimal(0)),
                }
                rows.append(row("ACCOUNT_CREDIT", {"ASSOCIATED_REF": ref, **fields}))
            except RowError as error:
                rows.append(row("ACCOUNT_CREDIT", {"ASSOCIATED_REF": ref}, error))
        return results(rows)

    def _account_credit(self, record: ET.Element, ref: str) -> Doc:
        existing = self.s.ledger.by_ref("AccountCredit", ref) if ref else None
        if existing is not None:
            return existing
        note = self.s.ledger.get(text_of(record, "CREDIT_NOTE_CODE"), "CreditNote")
        if note is None:
            raise RowError("CREDIT_NOTE_NOT_FOUND", "Credit note not found")
        amount = decimal_of(text_of(record, "AMOUNT"))
        if note.status != "Processed":
            raise RowError("ALREADY_ISSUED", "The credit note has already been issued")
        if amount <= 0 or amount > (note.amount or Decimal(0)):
            raise RowError("AMOUNT_EXCEEDS_CREDIT", "A credit can never exceed its credit note")
        note.status = "On Account"
        return self.s.ledger.add(
            Doc(
                "AccountCredit",
                self.s.ledger.next_code("AC"),
                ref or None,
                "On Account",
                amount=amount,
                currency=note.currency,
                data={"credit_note": note.code, "reference": text_of(record, "REFERENCE")},
            )
        )
