"""The HTTP shell every sandbox's control client shares: /_sandbox/ base, lifecycle, errors.

Kept apart from the production clients on purpose: production code never touches these paths.
"""

from __future__ import annotations

from typing import Any, Self

import httpx


class SandboxControl:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=f"{base_url.rstrip('/')}/_sandbox/", timeout=timeout, transport=transport
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _send(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> httpx.Response:
        response = await self._http.request(method, path, json=body, params=params or None)
        response.raise_for_status()
        return response
