"""The Khaos sandbox's own controls beside the shared ones: item flags."""

from __future__ import annotations

from adapters.sandbox.erp_control import ErpSandboxControl


class KhaosSandboxControl(ErpSandboxControl):
    async def item_flags(
        self, stock_code: str, *, web_sale: bool | None = None, discontinued: bool | None = None
    ) -> None:
        await self._send(
            "POST", f"items/{stock_code}", {"web_sale": web_sale, "discontinued": discontinued}
        )
