"""Prima reads: OrderStatus (with its lines), MultiAvailableToSell, ReturnStatus (one return
with its lines), MultiReturnStatus (several by ReturnRef, for the status sweep) and the document
listing reconciliation pages through."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from adapters.erp.soap import children
from adapters.sandbox.erp_ledger import Query, page

from .operations import Operations, data_of, item_of, money, yes


class Reads(Operations):
    def order_status(self, data: ET.Element) -> ET.Element:
        order = self._order(data.get("OrderNumber") or data.get("PrimaOrderNo") or "")
        out = data_of(
            OrderNumber=order.order_number,
            PrimaOrderNo=order.prima_no,
            Customer=order.customer,
            Currency=order.currency,
            OrderStatus="Despatched",
        )
        for line in order.lines:
            product, colour, size = line.key.split("/")
            ET.SubElement(
                out,
                "OrderLineData",
                LineNo=line.line_no,
                Product=product,
                MtrxCode1=colour,
                MtrxCode2=size,
                Quantity=str(line.quantity),
                Price=money(line.price),
                Discount=money(line.discount),
                Vat=money(line.vat),
            )
        return out

    def available_to_sell(self, data: ET.Element) -> ET.Element:
        out = data_of()
        for item in children(data, "Item"):
            key = item_of(item)
            product = self.s.products.get(key)
            row = ET.SubElement(out, "Item", {k: v for k, v in item.attrib.items()})
            if product is None:
                row.set("Error", f"Unknown matrix code {key}")
                continue
            row.set("AvailableQuantity", str(self.s.stock.level(key, "MAIN")))
            row.set("AvailableDate", datetime.now().date().isoformat())
            row.set("WebSellable", yes(product.web_sellable))
        return out

    def return_status(self, data: ET.Element) -> ET.Element:
        ret = self._return(data.get("ReturnNumber"), data.get("ReceiptNumber"))
        out = data_of(
            ReturnNumber=ret.code,
            ReturnRef=ret.ref,
            Status=ret.status,
            CreditNumber=ret.data.get("credit"),
        )
        for line in ret.data["lines"]:
            ET.SubElement(out, "ReturnLineData", {k: str(v) for k, v in line.items()})
        return out

    def multi_return_status(self, data: ET.Element) -> ET.Element:
        """Each asked ReturnRef's status and own attributes, whatever its status; a ref with no
        return gets an Error on its row, as MultiAvailableToSell does for an unknown item."""
        out = data_of()
        for wanted in children(data, "Return"):
            row = ET.SubElement(out, "Return", dict(wanted.attrib))
            ref = wanted.get("ReturnRef", "")
            ret = self.s.ledger.by_ref("SalesReturn", ref) if ref else None
            if ret is None:
                row.set("Error", f"Return {ref} not found")
                continue
            row.set("ReturnNumber", ret.code)
            row.set("Status", ret.status)
            for name, value in ret.data["fields"].items():
                row.set(name, yes(value) if isinstance(value, bool) else value)
        return out

    def document_list(self, data: ET.Element) -> ET.Element:
        since, until = data.get("FromDate"), data.get("ToDate")
        query = Query(
            doc_type=data.get("DocType") or None,
            ref=data.get("Reference") or None,
            code=data.get("Number") or None,
            since=datetime.fromisoformat(since) if since else None,
            until=datetime.fromisoformat(until) if until else None,
            start=int(data.get("Start") or 0),
        )
        docs, following = page(self.s.ledger, query, self.s.page_size)
        out = data_of(More=yes(following is not None), Next=following)
        for doc in docs:
            attrs = {
                "DocType": doc.type,
                "Number": doc.code,
                "Reference": doc.ref,
                "Status": doc.status,
                "Gross": None if doc.amount is None else money(doc.amount),
                "Currency": doc.currency,
                "Created": doc.created.isoformat(),
                **{k: v for k, v in doc.data.items() if isinstance(v, str)},
            }
            ET.SubElement(out, "Document", {k: str(v) for k, v in attrs.items() if v is not None})
        return out
