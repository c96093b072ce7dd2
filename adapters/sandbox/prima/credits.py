"""Prima sales credits (our proposal): CompleteReturn values the credit and holds it
"Awaiting Payment"; ConfirmCreditPayment, the gateway's refund or a gift voucher, posts it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from adapters.erp.soap import decimal_of
from adapters.sandbox.erp_ledger import Doc

from .operations import Operations, Refused, data_of, money


class Credits(Operations):
    def complete(self, data: ET.Element) -> ET.Element:
        """Value the return as a sales credit; it posts when its refund is confirmed."""
        ref = data.get("CreditRef", "")
        credit = self.s.ledger.by_ref("SalesCredit", ref) if ref else None
        if credit is None:
            ret = self._unclosed(data.get("ReturnNumber"))
            if ret.data.get("credit"):
                raise Refused(f"Return {ret.code} already credited")
            net = discount = vat = Decimal(0)
            for line in ret.data["lines"]:
                net += line["Net"] * line["Quantity"]
                discount += line["Discount"] * line["Quantity"]
                vat += line["Vat"] * line["Quantity"]
            credit = self.s.ledger.add(
                Doc(
                    "SalesCredit",
                    self.s.ledger.next_code("SC"),
                    ref or None,
                    "Awaiting Payment",
                    amount=net + vat,
                    currency=ret.currency,
                    data={
                        "ReturnNumber": ret.code,
                        "Net": money(net),
                        "Discount": money(discount),
                        "VAT": money(vat),
                        "Action": data.get("Action", "Credit"),
                    },
                )
            )
            ret.data["credit"] = credit.code
            ret.status = "Completed"
        return data_of(
            CreditNumber=credit.code,
            Status=credit.status,
            Gross=money(credit.amount or Decimal(0)),
            Currency=credit.currency,
            **{
                k: v
                for k, v in credit.data.items()
                if k in ("Net", "Discount", "VAT", "ReturnNumber")
            },
        )

    def confirm_payment(self, data: ET.Element) -> ET.Element:
        """The gateway confirmed a refund (card) or issued a voucher: post the sales credit."""
        unique = data.get("UniqueId", "")
        payment = self.s.ledger.by_ref("CreditPayment", unique) if unique else None
        if payment is None:
            credit = self.s.ledger.get(data.get("CreditNumber", ""), "SalesCredit")
            if credit is None:
                raise Refused(f"Sales credit {data.get('CreditNumber')} not found")
            if credit.status != "Awaiting Payment":
                raise Refused(f"Sales credit {credit.code} already paid")
            if not data.get("PaymentRef"):
                raise Refused("PaymentRef is mandatory")
            amount = decimal_of(data.get("Amount", "0"))
            if amount <= 0 or amount > (credit.amount or Decimal(0)):
                raise Refused(f"Amount {amount} exceeds sales credit {credit.code}")
            tender = data.get("Tender", "Card")
            credit.status = "Posted"
            payment = self.s.ledger.add(
                Doc(
                    "CreditPayment",
                    self.s.ledger.next_code("PY"),
                    unique or None,
                    "Confirmed",
                    amount=amount,
                    currency=credit.currency,
                    data={
                        "CreditNumber": credit.code,
                        "PaymentRef": data.get("PaymentRef", ""),
                        "Tender": tender,
                    },
                )
            )
        return data_of(
            PaymentNumber=payment.code,
            Status=payment.status,
            Gross=money(payment.amount or Decimal(0)),
            Currency=payment.currency,
            **{k: v for k, v in payment.data.items()},
        )
