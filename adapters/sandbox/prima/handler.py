"""Prima's one request handler: every request type the sandbox answers, and its answer shape."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from adapters.erp.soap import children, parse, to_text

from .credits import Credits
from .operations import Refused
from .orders import Orders
from .reads import Reads
from .return_fields import ReturnFields
from .returns import Returns
from .state import PrimaState

Handler = Callable[[ET.Element], ET.Element]


class PrimaOperations(Reads, Returns, ReturnFields, Credits, Orders):
    WRITES = frozenset(
        {
            "NewCustomerReturn",
            "ReceiveReturn",
            "TransferStock",
            "CompleteReturn",
            "ConfirmCreditPayment",
            "NewOrder",
            "CancelReturn",
            "UpdateReturn",
        }
    )

    def __init__(self, state: PrimaState) -> None:
        super().__init__(state)
        self.handlers: dict[str, Handler] = {
            "OrderStatus": self.order_status,
            "MultiAvailableToSell": self.available_to_sell,
            "NewCustomerReturn": self.new_return,
            "ReturnStatus": self.return_status,
            "MultiReturnStatus": self.multi_return_status,
            "UpdateReturn": self.update_return,
            "ReceiveReturn": self.receive,
            "TransferStock": self.transfer,
            "CompleteReturn": self.complete,
            "ConfirmCreditPayment": self.confirm_payment,
            "NewOrder": self.new_order,
            "CancelReturn": self.cancel,
            "DocumentList": self.document_list,
        }

    def handle(self, request_xml: str) -> tuple[str, str]:
        """(request type, the Response document) for one `<Request RequestType=..>` string."""
        request = parse(request_xml)
        kind = request.get("RequestType", "")
        data = next(iter(children(request, "Data")), ET.Element("Data"))
        response = ET.Element("Response", RequestType=kind, RequestStatus="OK", RequestError="")
        handler = self.handlers.get(kind)
        try:
            if handler is None:
                raise Refused(f"Unknown RequestType {kind}")
            response.append(handler(data))
        except Refused as exc:
            response.set("RequestStatus", "ERROR")
            response.set("RequestError", str(exc))
        return kind, to_text(response)
