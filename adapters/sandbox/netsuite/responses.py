"""JSON responses that keep Decimal money exact and carry NetSuite's media types."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from adapters.erp.netsuite import wire


class NsJSONResponse(Response):
    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        *,
        error: bool = False,
    ) -> None:
        kind = "error" if error else "singular-resource"
        super().__init__(
            content=wire.dumps(content).encode(),
            status_code=status_code,
            headers=headers,
            media_type=f"application/vnd.oracle.resource+json; type={kind}",
        )
