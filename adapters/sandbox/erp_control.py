"""Control client for the SOAP ERP sandboxes (Khaos, Prima): reset, faults, lost answers,
the record dump, read the same way for both, and what a person does to a return in the ERP's
own screens."""

from __future__ import annotations

from typing import Any

from adapters.sandbox.control_client import SandboxControl


class ErpSandboxControl(SandboxControl):
    async def reset(self) -> None:
        await self._send("POST", "reset")

    async def faults(self, **config: Any) -> None:
        """See FaultConfig: latency_ms, rate_429, rate_5xx, rate_timeout, fail_next, paths."""
        await self._send("POST", "faults", config)

    async def fault_counts(self) -> dict[str, Any]:
        """The fault settings and what was injected since they were set: {"faults", "injected"}."""
        counts: dict[str, Any] = (await self._send("GET", "faults")).json()
        return counts

    async def lose_responses(self, count: int) -> None:
        """The next `count` writes commit but their answers are lost (a 502 from the gateway)."""
        await self._send("POST", "lose-responses", {"count": count})

    async def dump(self) -> dict[str, Any]:
        dump: dict[str, Any] = (await self._send("GET", "records")).json()
        return dump

    async def documents(self, doc_type: str | None = None) -> list[dict[str, Any]]:
        docs: list[dict[str, Any]] = (await self.dump())["documents"]
        return [d for d in docs if doc_type is None or d["type"] == doc_type]

    async def calls(self) -> list[str]:
        calls: list[str] = (await self.dump())["calls"]
        return calls

    async def peak_in_flight(self) -> int:
        """The most API requests the sandbox held at once since the last reset."""
        return int((await self.dump())["peak"])

    async def page_size(self, size: int) -> None:
        """Documents per page of the list calls (small pages make listings really page)."""
        await self._send("POST", "settings", {"page_size": size})

    async def set_level(self, item: str, level: int, location: str = "MAIN") -> None:
        await self._send("POST", "stock", {"item": item, "location": location, "level": level})

    async def level(self, item: str, location: str) -> int:
        rows = (await self.dump())["stock"]
        return next(
            (int(r["level"]) for r in rows if r["item"] == item and r["location"] == location), 0
        )

    async def close_return(self, code: str) -> str:
        """A person ends the return in the ERP (Prima closes it, Khaos cancels it): its status."""
        status: str = (await self._send("POST", f"returns/{code}/close")).json()["status"]
        return status

    async def set_return_fields(self, code: str, **fields: bool | str) -> None:
        """A person edits the return's own fields, e.g. ticks the flag that holds it for review."""
        await self._send("POST", f"returns/{code}/fields", fields)
