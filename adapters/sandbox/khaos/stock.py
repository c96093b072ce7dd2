"""IKosWeb stock adjustments (one group per import, all or nothing) and ImportOrders for
exchanges (web-sale and discontinued items refused per order)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from adapters.erp.soap import SoapCall, child, children, decimal_of, parse, text_of, to_text
from adapters.sandbox.erp_ledger import Doc, StockShortage

from .operations import Operations, RowError, results, row
from .state import ADJUSTMENT_REASONS, LOCATIONS


class StockAndOrders(Operations):
    def import_stock_adjustments(self, call: SoapCall) -> str:
        batch = parse(call.args.get("Adjustments", "<STOCK_ADJUSTMENTS/>"))
        ref = text_of(batch, "ASSOCIATED_REF")
        try:
            doc = self.s.ledger.by_ref("StockAdjustment", ref) if ref else None
            duplicate = doc is not None
            doc = doc or self._adjust(batch, ref)
            return to_text(
                row("RESULT", {"ASSOCIATED_REF": ref, "GROUP_ID": doc.code, "DUPLICATE": duplicate})
            )
        except RowError as error:
            return to_text(row("RESULT", {"ASSOCIATED_REF": ref}, error))

    def _adjust(self, batch: ET.Element, ref: str) -> Doc:
        reason = text_of(batch, "REASON_CODE")
        if reason not in ADJUSTMENT_REASONS:
            raise RowError("REASON_NOT_FOUND", f"Adjustment reason {reason!r} not found")
        moves = []
        for item in children(child(batch, "ITEMS"), "ITEM"):
            code, location = text_of(item, "STOCK_CODE"), text_of(item, "LOCATION")
            by, to = text_of(item, "ADJUST_BY"), text_of(item, "ADJUST_TO")
            if code not in self.s.items:
                raise RowError("STOCK_CODE_NOT_FOUND", f"Stock code {code} not found")
            if location not in LOCATIONS:
                raise RowError("LOCATION_NOT_FOUND", f"Location {location} not found")
            if bool(by) == bool(to):
                raise RowError("ADJUST_BY_OR_TO", "Give either ADJUST_BY or ADJUST_TO")
            level = self.s.stock.level(code, location)
            delta = int(by) if by else int(to) - level
            moves.append((code, location, delta))
        try:
            self.s.stock.move(moves)
        except StockShortage as exc:
            raise RowError("NOT_IN_LOCATION", str(exc)) from None
        return self.s.ledger.add(
            Doc(
                "StockAdjustment",
                self.s.ledger.next_code("GRP"),
                ref or None,
                "Posted",
                data={"reason_code": reason, "moves": [list(m) for m in moves]},
            )
        )

    def import_orders(self, call: SoapCall) -> str:
        rows = []
        for order in parse(call.args.get("Orders", "<SALES_ORDERS/>")):
            ref = text_of(child(order, "ORDER_HEADER"), "ASSOCIATED_REF")
            try:
                doc = self.s.ledger.by_ref("SalesOrder", ref) if ref else None
                duplicate = doc is not None
                doc = doc or self._order(order, ref)
                rows.append(
                    row(
                        "ORDER",
                        {
                            "ASSOCIATED_REF": ref,
                            "SALES_ORDER_CODE": doc.code,
                            "DUPLICATE": duplicate,
                        },
                    )
                )
            except RowError as error:
                rows.append(row("ORDER", {"ASSOCIATED_REF": ref}, error))
        return results(rows)

    def _order(self, order: ET.Element, ref: str) -> Doc:
        header = child(order, "ORDER_HEADER")
        if not ref:
            raise RowError("MISSING_FIELD", "ASSOCIATED_REF is mandatory")
        company = text_of(child(order, "CUSTOMER_DETAIL"), "COMPANY_CODE")
        if company not in self.s.companies:
            raise RowError("COMPANY_NOT_FOUND", f"Customer URN {company} not found")
        web = text_of(header, "SALES_SOURCE").upper() == "WEB"
        lines, total = [], Decimal(0)
        for item in children(child(order, "ORDER_ITEMS"), "ORDER_ITEM"):
            code = text_of(item, "STOCK_CODE")
            stock = self.s.match(code, int(text_of(item, "MAPPING_TYPE") or 1))
            if stock is None:
                raise RowError("STOCK_CODE_NOT_FOUND", f"Stock code(s) not found: {code}")
            if stock.discontinued:
                raise RowError("DISCONTINUED", f"{stock.stock_code} is discontinued")
            if web and not stock.web_sale:
                raise RowError("NOT_WEB_SALE", f"{stock.stock_code} is not flagged for web sale")
            qty = int(text_of(item, "ORDER_QTY") or 0)
            price = decimal_of(text_of(item, "PRICE_NET"))
            total += price * qty
            lines.append({"stock_code": stock.stock_code, "qty": qty, "price_net": str(price)})
        if not lines:
            raise RowError("NO_ITEMS", "An order needs at least one item")
        return self.s.ledger.add(
            Doc(
                "SalesOrder",
                self.s.ledger.next_code("SO"),
                ref,
                "Received",
                amount=total,
                currency=text_of(header, "ORDER_CURRENCY") or "GBP",
                data={
                    "company_code": company,
                    "lines": lines,
                    "note": text_of(header, "ORDER_NOTE"),
                },
            )
        )
