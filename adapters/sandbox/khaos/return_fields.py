"""UpdateReturns: set a return's own fields (the flag a system uses to hold it for review, and
why), one result per record like the imports; a person ticking them in the screen does the same.

Setting, not toggling: sending the same values again leaves the return as it was.
"""

from __future__ import annotations

from collections.abc import Mapping

from adapters.erp.soap import SoapCall, local, parse, read_bool, text_of
from adapters.sandbox.erp_ledger import Doc

from .operations import NO_RETURN, Operations, RowError, results, row
from .state import RETURN_FLAGS, RETURN_TEXTS


class ReturnFields(Operations):
    def update_returns(self, call: SoapCall) -> str:
        rows = []
        for record in parse(call.args.get("Returns", "<RETURNS/>")):
            code = text_of(record, "RETURN_CODE")
            changes = {local(f.tag): f.text or "" for f in record if local(f.tag) != "RETURN_CODE"}
            try:
                ret = self.set_fields(code, changes)
                fields = {"ASSOCIATED_REF": ret.ref, "RETURN_CODE": ret.code, "STATUS": ret.status}
                rows.append(row("RETURN", {**fields, **ret.data["fields"]}))
            except RowError as error:
                rows.append(row("RETURN", {"RETURN_CODE": code}, error))
        return results(rows)

    def set_fields(self, code: str, changes: Mapping[str, str | bool]) -> Doc:
        """All of the record's fields or none: a name the return does not have refuses it."""
        ret = self.s.ledger.get(code, "Return")
        if ret is None or ret.status == "Cancelled":
            raise RowError("RETURN_NOT_FOUND", NO_RETURN)
        unknown = [name for name in changes if name not in RETURN_FLAGS + RETURN_TEXTS]
        if unknown:
            raise RowError("FIELD_NOT_FOUND", f"Return field(s) not found: {', '.join(unknown)}")
        for name, value in changes.items():
            flag = value if isinstance(value, bool) else read_bool(value)
            ret.data["fields"][name] = flag if name in RETURN_FLAGS else str(value)
        return ret
