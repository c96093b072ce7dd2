"""The Prima sandbox's own controls beside the shared ones: product flags."""

from __future__ import annotations

from adapters.sandbox.erp_control import ErpSandboxControl


class PrimaSandboxControl(ErpSandboxControl):
    async def web_sellable(self, item_key: str, sellable: bool) -> None:
        """`item_key` is STYLE/COLOUR/SIZE, as the adapter's item ids are."""
        await self._send("POST", f"products/{item_key}", {"web_sellable": sellable})
