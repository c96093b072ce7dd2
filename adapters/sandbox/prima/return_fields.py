"""UpdateReturn (our proposal): set a sales return's own attributes, such as the hold flag a
company reviews returns by and its reason; a person ticking them in Prima does the same.

Setting, not toggling: the same attributes again leave the return as it was.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping

from adapters.erp.soap import read_bool
from adapters.sandbox.erp_ledger import Doc

from .operations import Operations, Refused, data_of, yes
from .state import RETURN_FLAGS, RETURN_TEXTS


class ReturnFields(Operations):
    def update_return(self, data: ET.Element) -> ET.Element:
        changes = {k: v for k, v in data.attrib.items() if k != "ReturnNumber"}
        ret = self.set_fields(data.get("ReturnNumber", ""), changes)
        fields = {k: yes(v) if isinstance(v, bool) else v for k, v in ret.data["fields"].items()}
        return data_of(ReturnNumber=ret.code, ReturnRef=ret.ref, Status=ret.status, **fields)

    def set_fields(self, number: str, changes: Mapping[str, str | bool]) -> Doc:
        """All the attributes or none: one the sales return does not have refuses the request."""
        ret = self._return(number)
        unknown = [name for name in changes if name not in RETURN_FLAGS + RETURN_TEXTS]
        if unknown:
            raise Refused(f"Unknown sales return attribute {', '.join(unknown)}")
        for name, value in changes.items():
            flag = value if isinstance(value, bool) else read_bool(value)
            ret.data["fields"][name] = flag if name in RETURN_FLAGS else str(value)
        return ret
