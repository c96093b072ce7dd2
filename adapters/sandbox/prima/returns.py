"""Prima returns (our proposal): NewCustomerReturn, whose reasons pick each line's depot;
ReceiveReturn into those depots; TransferStock after inspection; CancelReturn; and closing
one, which only a person does in Prima's own screens."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from adapters.erp.soap import children
from adapters.sandbox.erp_ledger import Doc, StockShortage

from .operations import Operations, Refused, data_of, item_of
from .state import DEPOTS, REASON_DEPOTS, RETURN_FLAGS, RETURN_TEXTS, Order


class Returns(Operations):
    def new_return(self, data: ET.Element) -> ET.Element:
        ref = data.get("ReturnRef", "")
        if not ref:
            raise Refused("ReturnRef is mandatory")
        ret = self.s.ledger.by_ref("SalesReturn", ref) or self._create_return(data, ref)
        return data_of(ReturnNumber=ret.code, ReturnRef=ref, Status=ret.status)

    def _create_return(self, data: ET.Element, ref: str) -> Doc:
        order = self._order(data.get("OrderNumber", ""))
        lines = []
        for line in children(data, "ReturnLineData"):
            key = item_of(line)
            if key not in self.s.products:
                raise Refused(f"Unknown matrix code {key}")
            reason = line.get("ReasonCode", "")
            if reason not in REASON_DEPOTS:
                raise Refused(f"Unknown reason code {reason}")
            source = next(
                (x for x in order.lines if x.line_no == line.get("LineNo") and x.key == key), None
            )
            if source is None:
                raise Refused(
                    f"Order {order.order_number} has no line {line.get('LineNo')} for {key}"
                )
            qty = int(line.get("Quantity", "0"))
            if qty < 1 or qty > source.quantity - self._returned(order, source.line_no):
                raise Refused(f"Order line {source.line_no} already returned")
            lines.append(
                {
                    "LineNo": source.line_no,
                    "Key": key,
                    "Quantity": qty,
                    "QtyReceived": 0,
                    "ReasonCode": reason,
                    "Depot": REASON_DEPOTS[reason],
                    "Net": source.price - source.discount,
                    "Discount": source.discount,
                    "Vat": source.vat,
                }
            )
        if not lines:
            raise Refused("A return needs at least one line")
        return self.s.ledger.add(
            Doc(
                "SalesReturn",
                self.s.ledger.next_code("RN"),
                ref,
                "Open",
                currency=order.currency,
                data={
                    "OrderNumber": order.prima_no,
                    "Customer": order.customer,
                    "lines": lines,
                    "fields": {
                        **dict.fromkeys(RETURN_FLAGS, False),
                        **dict.fromkeys(RETURN_TEXTS, ""),
                    },
                },
            )
        )

    def _returned(self, order: Order, line_no: str) -> int:
        return sum(
            int(line["Quantity"])
            for doc in self.s.ledger.listing("SalesReturn", None, None)
            if doc.status != "Cancelled" and doc.data["OrderNumber"] == order.prima_no
            for line in doc.data["lines"]
            if line["LineNo"] == line_no
        )

    def receive(self, data: ET.Element) -> ET.Element:
        ref = data.get("ReceiptRef", "")
        ret = self._unclosed(data.get("ReturnNumber"))
        receipt = self.s.ledger.by_ref("GoodsReceipt", ref) if ref else None
        if receipt is None:
            if ret.status != "Open":
                raise Refused(f"Return {ret.code} already received")
            lines = {x["LineNo"]: x for x in ret.data["lines"]}
            moves, received = [], {}
            for row in children(data, "ReceiptLineData"):
                line = lines.get(row.get("LineNo", ""))
                qty = int(row.get("QtyReceived", "0"))
                if line is None or qty < 1 or qty > line["Quantity"]:
                    raise Refused(
                        f"Quantity received exceeds quantity returned on line {row.get('LineNo')}"
                    )
                moves.append((line["Key"], line["Depot"], qty))
                received[line["LineNo"]] = qty
            self.s.stock.move(moves)
            for line_no, qty in received.items():
                lines[line_no]["QtyReceived"] = qty
            ret.status = "Received"
            receipt = self.s.ledger.add(
                Doc(
                    "GoodsReceipt",
                    self.s.ledger.next_code("GR"),
                    ref or None,
                    "Received",
                    data={"ReturnNumber": ret.code, "moves": [list(m) for m in moves]},
                )
            )
        return data_of(ReceiptNumber=receipt.code, ReturnNumber=ret.code, Status=receipt.status)

    def transfer(self, data: ET.Element) -> ET.Element:
        ref = data.get("TransferRef", "")
        doc = self.s.ledger.by_ref("StockTransfer", ref) if ref else None
        if doc is None:
            moves: list[tuple[str, str, int]] = []
            for line in children(data, "TransferLineData"):
                key = item_of(line)
                source = line.get("FromDepot") or data.get("FromDepot") or ""
                target = data.get("ToDepot", "")
                for depot in (source, target):
                    if depot not in DEPOTS:
                        raise Refused(f"Unknown depot {depot}")
                if key not in self.s.products:
                    raise Refused(f"Unknown matrix code {key}")
                qty = int(line.get("Quantity", "0"))
                moves += [(key, source, -qty), (key, target, qty)]
            try:
                self.s.stock.move(moves)
            except StockShortage as exc:
                raise Refused(f"Stock not receipted: {exc}") from None
            doc = self.s.ledger.add(
                Doc(
                    "StockTransfer",
                    self.s.ledger.next_code("ST"),
                    ref or None,
                    "Complete",
                    data={"Reason": data.get("Reason", ""), "moves": [list(m) for m in moves]},
                )
            )
        return data_of(TransferNumber=doc.code, TransferRef=ref, Status=doc.status)

    def cancel(self, data: ET.Element) -> ET.Element:
        number = data.get("ReturnNumber", "")
        ret = self.s.ledger.get(number, "SalesReturn")
        if ret is None:
            raise Refused(f"Return {number} not found")
        if ret.status not in ("Open", "Cancelled", "Closed"):
            raise Refused(f"Return {ret.code} already received")
        if ret.status == "Open":  # a return a person closed has ended already
            ret.status = "Cancelled"
        return data_of(ReturnNumber=ret.code, Status=ret.status)

    def close(self, number: str) -> Doc:
        """A person closes a return nothing more is expected against (before its credit)."""
        ret = self._return(number)
        if ret.status not in ("Open", "Received", "Closed"):
            raise Refused(f"Return {ret.code} is {ret.status.lower()} and cannot be closed")
        ret.status = "Closed"
        return ret
