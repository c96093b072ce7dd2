"""A small client for the Loop sandbox's /_sandbox/ controls (tests, drills, the dev stack).

Kept apart from LoopClient on purpose: production code never touches these paths.
"""

from __future__ import annotations

from typing import Any

from adapters.sandbox.control_client import SandboxControl


class LoopSandboxControl(SandboxControl):
    async def _post(self, path: str, body: Any = None, *, wait: bool = False) -> Any:
        return (await self._send("POST", path, body, {"wait": "true"} if wait else None)).json()

    async def reset(self) -> None:
        await self._post("reset")

    async def create_return(self, order_name: str, *, wait: bool = False, **spec: Any) -> dict:
        """See ReturnSpec: skus, outcome, state, handling_fee, refund_skew, reason, return_id,
        created_at, extra_lines, unknown_order. Decimals and datetimes may be passed as str."""
        body = {"order_name": order_name, **{k: _plain(v) for k, v in spec.items()}}
        return await self._post("returns", body, wait=wait)

    async def label(
        self,
        return_id: str,
        label_status: str,
        *,
        tracking_number: str | None = None,
        carrier: str | None = None,
        wait: bool = False,
    ) -> dict:
        body = {
            "label_status": label_status,
            "tracking_number": tracking_number,
            "carrier": carrier,
        }
        return await self._post(f"returns/{return_id}/label", body, wait=wait)

    async def restock(self, return_id: str, *, wait: bool = False) -> dict:
        return await self._post(f"returns/{return_id}/restock", wait=wait)

    async def set_state(self, return_id: str, state: str, *, wait: bool = False) -> dict:
        return await self._post(f"returns/{return_id}/state", {"state": state}, wait=wait)

    async def fail_processing(self, return_id: str, message: str | None = None) -> None:
        await self._post(f"returns/{return_id}/fail-processing", {"message": message})

    async def webhook_target(self, url: str) -> list[dict]:
        return (await self._post("webhook-target", {"url": url}))["webhooks"]

    async def flush(self) -> None:
        await self._post("flush")

    async def faults(self, **config: Any) -> dict:
        """FaultConfig fields: fail_next, rate_429, rate_5xx, latency_ms, paths, seed, ..."""
        return await self._post("faults", config)

    async def records(self) -> dict[str, Any]:
        records: dict[str, Any] = (await self._send("GET", "records")).json()
        return records


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # Decimal and friends
