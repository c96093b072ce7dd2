"""Prima's RequestError -> our typed errors.

Prima answers every request with a successful reply; a refusal is RequestStatus="ERROR" with a
text in RequestError, so the text is all there is to classify by.
"""

from __future__ import annotations

import re

from adapters.erp.soap_channel import unclassified_fault
from adapters.errors import (
    AdapterError,
    AlreadyReturnedError,
    BusinessError,
    ConflictError,
    GoodsReceivedError,
    NotFoundError,
    RetryableError,
    UnknownItemError,
    UnmappedCodeError,
    UnmappedLocationError,
)

_MATRIX = re.compile(r"Unknown matrix code (\S+)", re.I)
_RULES: list[tuple[re.Pattern[str], type[AdapterError], str]] = [
    (re.compile(r"locked|busy|try again|timed? ?out", re.I), RetryableError, "BUSY"),
    (re.compile(r"not found", re.I), NotFoundError, "NOT_FOUND"),
    (re.compile(r"already returned", re.I), AlreadyReturnedError, "ALREADY_RETURNED"),
    (re.compile(r"already received", re.I), GoodsReceivedError, "ALREADY_RECEIVED"),
    (re.compile(r"already (credited|paid)", re.I), ConflictError, "ALREADY_CREDITED"),
    (re.compile(r"not web sellable", re.I), BusinessError, "NOT_WEB_SELLABLE"),
    (re.compile(r"not receipted", re.I), BusinessError, "NOT_RECEIPTED"),
]


def from_request_error(request_type: str, text: str) -> AdapterError:
    message = f"Prima {request_type}: {text}"
    matrix = _MATRIX.search(text)
    if matrix:
        return UnknownItemError(message, skus=[matrix.group(1)], code="UNKNOWN_MATRIX_CODE")
    if re.search(r"Unknown reason code (\S+)", text, re.I):
        value = text.rsplit(" ", 1)[-1]
        return UnmappedCodeError(message, kind="reason", value=value, code="UNKNOWN_REASON")
    if re.search(r"Unknown depot", text, re.I):
        value = text.rsplit(" ", 1)[-1]
        return UnmappedLocationError(message, kind="location", value=value, code="UNKNOWN_DEPOT")
    for pattern, cls, code in _RULES:
        if pattern.search(text):
            return cls(message, code=code)
    return BusinessError(message, code="REQUEST_ERROR")


def from_fault(code: str, message: str) -> AdapterError:
    """A SOAP Fault from the WSA layer itself (not from Prima's handler)."""
    return unclassified_fault("Prima", code, message)
