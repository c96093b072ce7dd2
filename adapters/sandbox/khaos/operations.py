"""What every IKosWeb operation shares: Khaos's fault texts, per-record errors, answer helpers.

Each operation takes its XML-string arguments and answers an XML string.

Imports answer per record inside a successful reply (one bad record never blocks the others,
and a record that names an unknown stock code fails whole); `ProcessReturn` and the other
single-document calls refuse with a SOAP Fault whose text Khaos documents.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from decimal import Decimal

from adapters.erp.soap import element, to_text
from adapters.sandbox.erp_ledger import Doc
from adapters.sandbox.soap_app import SoapFault

from .state import KhaosState

NO_RETURN = "Return does not exist or has been deleted"
ALREADY_PROCESSED = "Return has already been processed"
PARTIALLY_PROCESSED = "Return has been partially processed"
NOT_DEFINED = "Return Code or Auth Code not defined"
RECEIVED_CANNOT_CANCEL = "Return has been received and cannot be cancelled"


class RowError(Exception):
    """One record refused; its import result carries the code and text."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def row(tag: str, fields: dict[str, object], error: RowError | None = None) -> ET.Element:
    node = element(tag, fields)
    if error is not None:
        ET.SubElement(node, "ERROR", CODE=error.code).text = error.message
    return node


def results(rows: list[ET.Element], tag: str = "RESULTS") -> str:
    root = ET.Element(tag)
    root.extend(rows)
    return to_text(root)


def money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def when(value: datetime) -> str:
    return value.isoformat()


class Operations:
    def __init__(self, state: KhaosState) -> None:
        self.s = state

    def _return(self, code: str) -> Doc:
        doc = self.s.ledger.get(code, "Return")
        if doc is None or doc.status == "Cancelled":
            raise SoapFault(NO_RETURN)
        return doc
