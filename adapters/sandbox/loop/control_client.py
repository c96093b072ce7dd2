"""A small client for the Loop sandbox's /_sandbox/ controls (tests, drills, the dev stack).

Kept apart from LoopClient on purpose: production code never touches these paths.
"""

from __future__ import annotations

from typing import Any

import httpx


class LoopSandboxControl:
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

    async def __aenter__(self) -> LoopSandboxControl:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _post(self, path: str, body: Any = None, *, wait: bool = False) -> Any:
        params = {"wait": "true"} if wait else None
        response = await self._http.post(path, json=body, params=params)
        response.raise_for_status()
        return response.json()

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
        response = await self._http.get("records")
        response.raise_for_status()
        return response.json()


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
