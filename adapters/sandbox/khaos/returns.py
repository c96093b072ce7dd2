"""IKosWeb returns: ImportReturns (one result per record; a stock code that matches nothing
fails the whole return), ReceiveReturn (stock moves by each line's processing type) and
CancelReturn (also what a person does in the Returns screen)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from adapters.erp.soap import SoapCall, child, children, element, parse, text_of, to_text
from adapters.sandbox.erp_ledger import Doc
from adapters.sandbox.soap_app import SoapFault

from .operations import (
    ALREADY_PROCESSED,
    NO_RETURN,
    RECEIVED_CANNOT_CANCEL,
    Operations,
    RowError,
    results,
    row,
)
from .state import PROCESSING_LOCATION, RETURN_FLAGS, RETURN_REASONS, RETURN_TEXTS


class Returns(Operations):
    def import_returns(self, call: SoapCall) -> str:
        rows = []
        for record in parse(call.args.get("Returns", "<RETURNS/>")):
            ref = text_of(record, "ASSOCIATED_REF")
            try:
                existing = self.s.ledger.by_ref("Return", ref) if ref else None
                doc = existing or self._one_return(record, ref)
                fields = {"RETURN_CODE": doc.code, "STATUS": doc.status}
                duplicate = existing is not None
                rows.append(
                    row("RETURN", {"ASSOCIATED_REF": ref, **fields, "DUPLICATE": duplicate})
                )
            except RowError as error:
                rows.append(row("RETURN", {"ASSOCIATED_REF": ref}, error))
        return results(rows)

    def _one_return(self, record: ET.Element, ref: str) -> Doc:
        if not ref:
            raise RowError("MISSING_FIELD", "ASSOCIATED_REF is mandatory")
        source = child(record, "SOURCE")
        code = text_of(source, "SORDER_CODE")
        order = (
            self.s.orders.get(code)
            if code
            else self.s.order_by_ref(text_of(source, "ASSOCIATED_REF"))
        )
        if order is None:
            raise RowError("SOURCE_NOT_FOUND", "Source sales order not found")
        company = text_of(record, "COMPANY_CODE") or order.company_code
        if company not in self.s.companies:
            raise RowError("COMPANY_NOT_FOUND", f"Customer URN {company} not found")
        lines, unmatched = [], []
        for n, item in enumerate(children(child(record, "RETURN_ITEMS"), "RETURN_ITEM"), 1):
            stock = self.s.match(
                text_of(item, "STOCK_CODE"), int(text_of(item, "MAPPING_TYPE") or 1)
            )
            if stock is None:
                unmatched.append(text_of(item, "STOCK_CODE"))
                continue
            reason = text_of(item, "RETURN_REASON")
            if reason not in RETURN_REASONS:
                raise RowError("REASON_NOT_FOUND", f"Return reason {reason!r} not found")
            source_line = next(
                (
                    x
                    for x in order.lines
                    if x.stock_code == stock.stock_code
                    and (
                        not text_of(item, "SORDER_ITEM_ID")
                        or x.item_id == text_of(item, "SORDER_ITEM_ID")
                    )
                ),
                None,
            )
            if source_line is None:
                raise RowError("NOT_ON_ORDER", f"{stock.stock_code} is not on {order.code}")
            qty = int(text_of(item, "QTY") or 0)
            if qty < 1 or qty > source_line.qty - self._returned(order.code, source_line.item_id):
                raise RowError("QTY_EXCEEDS_ORDER", f"cannot return {qty} of {stock.stock_code}")
            lines.append(
                {
                    "line": str(n),
                    "stock_code": stock.stock_code,
                    "sorder_item_id": source_line.item_id,
                    "qty": qty,
                    "received": 0,
                    "reason": reason,
                    "processing_type": RETURN_REASONS[reason],
                    "net": source_line.price_net - source_line.discount_net,
                    "discount": source_line.discount_net,
                    "tax": source_line.tax,
                    "import_ref": text_of(item, "IMPORT_REF"),
                }
            )
        if unmatched:  # a code that matches nothing fails the whole return
            raise RowError(
                "STOCK_CODE_NOT_FOUND", f"Stock code(s) not found: {', '.join(unmatched)}"
            )
        if not lines:
            raise RowError("NO_ITEMS", "A return needs at least one item")
        doc = Doc(
            "Return",
            self.s.ledger.next_code("RT"),
            ref,
            "New",
            currency=order.currency,
            data={
                "sorder_code": order.code,
                "company_code": company,
                "lines": lines,
                "notes": text_of(record, "NOTES"),
                "fields": {**dict.fromkeys(RETURN_FLAGS, False), **dict.fromkeys(RETURN_TEXTS, "")},
            },
        )
        return self.s.ledger.add(doc)

    def _returned(self, order_code: str, item_id: str) -> int:
        return sum(
            int(line["qty"])
            for doc in self.s.ledger.listing("Return", None, None)
            if doc.status != "Cancelled" and doc.data["sorder_code"] == order_code
            for line in doc.data["lines"]
            if line["sorder_item_id"] == item_id
        )

    def receive_return(self, call: SoapCall) -> str:
        ret = self._return(call.args.get("ReturnCode", ""))
        receipt = parse(call.args.get("Receipt", "<RECEIPT/>"))
        ref = text_of(receipt, "ASSOCIATED_REF")
        found = self.s.ledger.by_ref("ReturnReceipt", ref) if ref else None
        if found is None:
            found = self._receive(ret, receipt, ref)
        return to_text(
            element(
                "RESULT",
                {
                    "GROUP_ID": found.code,
                    "ASSOCIATED_REF": ref,
                    "RETURN_CODE": ret.code,
                    "STATUS": ret.status,
                },
            )
        )

    def _receive(self, ret: Doc, receipt: ET.Element, ref: str) -> Doc:
        if ret.status not in ("New", "Part Received"):
            raise SoapFault(ALREADY_PROCESSED)
        wanted = {
            text_of(i, "SORDER_ITEM_ID"): int(text_of(i, "QTY") or 0)
            for i in children(child(receipt, "ITEMS"), "ITEM")
        }
        lines = {line["sorder_item_id"]: line for line in ret.data["lines"]}
        moves = []
        for line_id, qty in wanted.items():
            line = lines.get(line_id)
            if line is None or qty < 1 or line["received"] + qty > line["qty"]:
                raise SoapFault(f"Return item {line_id} cannot receive {qty}")
            location = PROCESSING_LOCATION[line["processing_type"]]
            if location is not None:
                moves.append((line["stock_code"], location, qty))
        self.s.stock.move(moves)
        for line_id, qty in wanted.items():
            lines[line_id]["received"] += qty
        done = all(x["received"] == x["qty"] for x in ret.data["lines"])
        ret.status = "Received" if done else "Part Received"
        return self.s.ledger.add(
            Doc(
                "ReturnReceipt",
                self.s.ledger.next_code("GRP"),
                ref or None,
                "Posted",
                data={
                    "return_code": ret.code,
                    "received": wanted,
                    "moves": [list(m) for m in moves],
                },
            )
        )

    def cancel_return(self, call: SoapCall) -> str:
        ret = self.cancel(call.args.get("ReturnCode", ""), call.args.get("Reason", ""))
        return to_text(element("RESULT", {"RETURN_CODE": ret.code, "STATUS": ret.status}))

    def cancel(self, code: str, reason: str) -> Doc:
        """Only a return nothing was received against; cancelling twice changes nothing."""
        ret = self.s.ledger.get(code, "Return")
        if ret is None:
            raise SoapFault(NO_RETURN)
        if ret.status != "Cancelled":
            if ret.status != "New":
                raise SoapFault(RECEIVED_CANNOT_CANCEL)
            ret.status = "Cancelled"
            ret.data["cancel_reason"] = reason
        return ret
