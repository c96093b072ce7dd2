"""Prima NewOrder for exchanges: web-channel orders refuse products not web sellable."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from adapters.erp.soap import children, decimal_of, read_bool
from adapters.sandbox.erp_ledger import Doc

from .operations import Operations, Refused, data_of, item_of, yes


class Orders(Operations):
    def new_order(self, data: ET.Element) -> ET.Element:
        unique = data.get("UniqueId", "")
        if not unique:
            raise Refused("UniqueId is mandatory")
        doc = self.s.ledger.by_ref("SalesOrder", unique)
        if doc is None:
            customer = data.get("Customer", "")
            if customer not in self.s.customers:
                raise Refused(f"Customer {customer} not found")
            web = data.get("OrderChannel", "").upper() == "WEB"
            lines, total = [], Decimal(0)
            for line in children(data, "OrderLineData"):
                key = item_of(line)
                product = self.s.products.get(key)
                if product is None:
                    raise Refused(f"Unknown matrix code {key}")
                if web and not product.web_sellable:
                    raise Refused(f"Product {key} is not web sellable")
                qty = int(line.get("Quantity", "0"))
                total += decimal_of(line.get("Price", "0")) * qty
                lines.append({"Key": key, "Quantity": qty, "Warehouse": line.get("Warehouse", "")})
            if not lines:
                raise Refused("An order needs at least one line")
            payment = next(iter(children(data, "OrderPaymentData")), None)
            doc = self.s.ledger.add(
                Doc(
                    "SalesOrder",
                    self.s.ledger.next_code("SO"),
                    unique,
                    "Entered",
                    amount=total,
                    currency=data.get("Currency", "GBP"),
                    data={
                        "Customer": customer,
                        "OrderNumber": data.get("OrderNumber", ""),
                        "ExchCreditNo": payment.get("ExchCreditNo", "")
                        if payment is not None
                        else "",
                        "VatInclusive": yes(read_bool(data.get("VatInclusive", "No"))),
                        "lines": lines,
                    },
                )
            )
        return data_of(PrimaOrderNo=doc.code, OrderNumber=doc.data["OrderNumber"], UniqueId=unique)
