"""Khaos refusals -> our typed errors.

Two places carry them: a SOAP Fault (single-document calls such as ProcessReturn, whose texts
Khaos documents) and an ERROR element on one record of an import answer, which arrives inside
a successful reply and must be read, not mistaken for success.
"""

from __future__ import annotations

import re

from adapters.erp.soap_channel import unclassified_fault
from adapters.errors import (
    AdapterError,
    AlreadyReturnedError,
    AuthError,
    BusinessError,
    ConflictError,
    GoodsReceivedError,
    NotFoundError,
    RetryableError,
    UnknownItemError,
)

_FAULTS: list[tuple[re.Pattern[str], type[AdapterError], str]] = [
    (re.compile(r"does not exist or has been deleted", re.I), NotFoundError, "RETURN_NOT_FOUND"),
    (re.compile(r"already been processed", re.I), ConflictError, "ALREADY_PROCESSED"),
    (re.compile(r"partially processed", re.I), ConflictError, "PARTIALLY_PROCESSED"),
    (re.compile(r"Auth Code not defined", re.I), BusinessError, "CODE_NOT_DEFINED"),
    (re.compile(r"cannot be cancelled", re.I), GoodsReceivedError, "GOODS_RECEIVED"),
    (re.compile(r"user name or password|not logged in", re.I), AuthError, "INVALID_LOGIN"),
    (re.compile(r"not implemented", re.I), BusinessError, "ADDON_NOT_ENABLED"),
    (re.compile(r"deadlock|timeout|locked|try again", re.I), RetryableError, "BUSY"),
]

_ROWS: dict[str, type[AdapterError]] = {
    "SOURCE_NOT_FOUND": NotFoundError,
    "RETURN_NOT_FOUND": NotFoundError,
    "CREDIT_NOTE_NOT_FOUND": NotFoundError,
    "COMPANY_NOT_FOUND": NotFoundError,
    "QTY_EXCEEDS_ORDER": AlreadyReturnedError,
    "ALREADY_CREDITED": ConflictError,
    "ALREADY_ISSUED": ConflictError,
}


def from_fault(code: str, message: str) -> AdapterError:
    for pattern, cls, our_code in _FAULTS:
        if pattern.search(message):
            return cls(f"Khaos: {message}", code=our_code, status=500)
    return unclassified_fault("Khaos", code, message)


def from_row(code: str, message: str, *, ref: str) -> AdapterError:
    """One import record's ERROR: typed by its code; unmatched stock codes name the SKUs."""
    details = {"associated_ref": ref}
    if code == "STOCK_CODE_NOT_FOUND":
        skus = [s.strip() for s in message.split(":", 1)[-1].split(",") if s.strip()]
        return UnknownItemError(f"Khaos: {message}", skus=skus, code=code, details=details)
    cls = _ROWS.get(code, BusinessError)
    return cls(f"Khaos {code}: {message}", code=code, details=details)
