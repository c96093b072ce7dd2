"""What Prima's request types share: the refusal (Prima's RequestError text) and helpers.

Prima always answers with a successful reply whose `Response` root says RequestStatus="OK" or
"ERROR" with the reason in RequestError.

Real request types kept: OrderStatus, MultiAvailableToSell, NewOrder. The returns side is our
proposal (Prima's XSD for it is not public): NewCustomerReturn, ReturnStatus, MultiReturnStatus,
ReceiveReturn, TransferStock, CompleteReturn, ConfirmCreditPayment, CancelReturn, UpdateReturn,
DocumentList. The sales
credit is posted only when the payment gateway's refund is confirmed against it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from adapters.sandbox.erp_ledger import Doc

from .state import Order, PrimaState, item_key


class Refused(Exception):
    """Prima's RequestError text."""


def yes(value: bool) -> str:
    return "Yes" if value else "No"


def money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def data_of(**attrs: object) -> ET.Element:
    return ET.Element("Data", {k: str(v) for k, v in attrs.items() if v is not None})


def item_of(node: ET.Element) -> str:
    return item_key(node.get("Product", ""), node.get("MtrxCode1", ""), node.get("MtrxCode2", ""))


class Operations:
    def __init__(self, state: PrimaState) -> None:
        self.s = state

    def _order(self, number: str) -> Order:
        order = self.s.order(number)
        if order is None:
            raise Refused(f"Order {number} not found")
        return order

    def _return(self, number: str | None, receipt: str | None = None) -> Doc:
        if receipt:
            found = self.s.ledger.get(receipt, "GoodsReceipt")
            number = str(found.data["ReturnNumber"]) if found else None
        ret = self.s.ledger.get(number or "", "SalesReturn")
        if ret is None or ret.status == "Cancelled":
            raise Refused(f"Return {number or receipt} not found")
        return ret

    def _unclosed(self, number: str | None) -> Doc:
        """A return still open to receipt and credit: a person may have closed it in Prima."""
        ret = self._return(number)
        if ret.status == "Closed":
            raise Refused(f"Return {ret.code} is closed")
        return ret
