"""IKosWeb reads: orders, stock items by mapping type, stock status per location, and the
document listing reconciliation pages through."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from adapters.erp.soap import SoapCall, element, parse, text_of, to_text
from adapters.sandbox.erp_ledger import Query, page

from .operations import Operations, money, results, when
from .state import LOCATIONS, MAIN, SITE, StockItem


class Exports(Operations):
    def export_orders(self, call: SoapCall) -> str:
        ids = [i.text or "" for i in parse(call.args.get("IDs", "<IDS/>"))]
        by_code = call.args.get("IDType", "AssociatedRef") == "SOrderCode"
        root = ET.Element("ORDERS")
        for key in ids:
            order = self.s.orders.get(key) if by_code else self.s.order_by_ref(key)
            if order is None:
                continue
            node = element(
                "SALES_ORDER",
                {
                    "SORDER_CODE": order.code,
                    "ASSOCIATED_REF": order.associated_ref,
                    "COMPANY_CODE": order.company_code,
                    "CURRENCY_CODE": order.currency,
                    "ORDER_TYPE": 1,
                },
            )
            items = ET.SubElement(node, "ORDER_ITEMS")
            for line in order.lines:
                items.append(
                    element(
                        "ORDER_ITEM",
                        {
                            "SORDER_ITEM_ID": line.item_id,
                            "STOCK_CODE": line.stock_code,
                            "OTHER_REF": self.s.items[line.stock_code].other_ref,
                            "ORDER_QTY": line.qty,
                            "PRICE_NET": money(line.price_net),
                            "DISCOUNT_NET": money(line.discount_net),
                            "TAX": money(line.tax),
                        },
                    )
                )
            root.append(node)
        return to_text(root)

    def _requested(self, call: SoapCall) -> list[tuple[str, StockItem | None]]:
        codes = [c.text or "" for c in parse(call.args.get("StockCodes", "<STOCK_CODES/>"))]
        mapping = int(call.args.get("MappingType", "1") or "1")
        return [(code, self.s.match(code, mapping)) for code in codes]

    def export_stock(self, call: SoapCall) -> str:
        rows = [
            element(
                "STOCK_ITEM",
                {
                    "REQUESTED": code,
                    "STOCK_CODE": item.stock_code,
                    "OTHER_REF": item.other_ref,
                    "BARCODE": item.barcode,
                    "DESCRIPTION": item.description,
                    "WEB_SALE": item.web_sale,
                    "DISCONTINUED": item.discontinued,
                },
            )
            for code, item in self._requested(call)
            if item is not None
        ]
        return results(rows, "STOCK_ITEMS")

    def export_stock_status(self, call: SoapCall) -> str:
        site = call.args.get("SiteID") or SITE
        rows = []
        for _, item in self._requested(call):
            if item is None:
                continue
            node = element(
                "ITEM",
                {
                    "STOCK_CODE": item.stock_code,
                    "SITE_ID": site,
                    "LEVEL": self.s.stock.level(item.stock_code, MAIN),
                    "WEB_SALE": item.web_sale,
                    "DISCONTINUED": item.discontinued,
                },
            )
            for location in LOCATIONS:
                ET.SubElement(
                    node,
                    "LOCATION",
                    NAME=location,
                    LEVEL=str(self.s.stock.level(item.stock_code, location)),
                )
            rows.append(node)
        return results(rows, "STOCK_STATUS")

    def export_documents(self, call: SoapCall) -> str:
        spec = parse(call.args.get("Filter", "<FILTER/>"))
        since, until = text_of(spec, "DATE_FROM"), text_of(spec, "DATE_TO")
        query = Query(
            doc_type=text_of(spec, "DOC_TYPE") or None,
            ref=text_of(spec, "ASSOCIATED_REF") or None,
            code=text_of(spec, "CODE") or None,
            since=datetime.fromisoformat(since) if since else None,
            until=datetime.fromisoformat(until) if until else None,
            start=int(text_of(spec, "CONTINUATION") or 0),
        )
        docs, following = page(self.s.ledger, query, self.s.page_size)
        root = ET.Element("DOCUMENTS")
        ET.SubElement(root, "CONTINUATION").text = "" if following is None else str(following)
        for doc in docs:
            root.append(
                element(
                    "DOCUMENT",
                    {
                        "DOC_TYPE": doc.type,
                        "CODE": doc.code,
                        "ASSOCIATED_REF": doc.ref,
                        "STATUS": doc.status,
                        "GROSS": None if doc.amount is None else money(doc.amount),
                        "CURRENCY_CODE": doc.currency,
                        "CREATED": when(doc.created),
                        "REASON_CODE": doc.data.get("reason_code"),
                        "RETURN_CODE": doc.data.get("return_code"),
                        "NET": doc.data.get("net"),
                        "DISCOUNT": doc.data.get("discount"),
                        "TAX": doc.data.get("tax"),
                        **doc.data.get("fields", {}),  # a return's flags and texts
                    },
                )
            )
        return to_text(root)
