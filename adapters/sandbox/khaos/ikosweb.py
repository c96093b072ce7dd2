"""The IKosWeb service: every operation the sandbox answers, by name, and which ones write."""

from __future__ import annotations

from collections.abc import Callable

from adapters.erp.soap import SoapCall

from .credits import Credits
from .exports import Exports
from .return_fields import ReturnFields
from .returns import Returns
from .stock import StockAndOrders


class IKosWeb(Exports, Returns, ReturnFields, Credits, StockAndOrders):
    WRITES = frozenset(
        {
            "ImportReturns",
            "ReceiveReturn",
            "ImportCreditNotes",
            "ProcessReturn",
            "IssueAccountCredit",
            "ImportStockAdjustments",
            "ImportOrders",
            "CancelReturn",
            "UpdateReturns",
        }
    )

    def table(self) -> dict[str, Callable[[SoapCall], str]]:
        return {
            "ExportOrders": self.export_orders,
            "ExportStock": self.export_stock,
            "ExportStockStatus": self.export_stock_status,
            "ImportReturns": self.import_returns,
            "ReceiveReturn": self.receive_return,
            "ImportCreditNotes": self.import_credit_notes,
            "ProcessReturn": self.process_return,
            "IssueAccountCredit": self.issue_account_credit,
            "ImportStockAdjustments": self.import_stock_adjustments,
            "ImportOrders": self.import_orders,
            "CancelReturn": self.cancel_return,
            "UpdateReturns": self.update_returns,
            "ExportDocuments": self.export_documents,
        }
