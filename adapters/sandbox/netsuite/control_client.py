"""A small client for the NetSuite sandbox's /_sandbox/ controls (tests, drills, the dev stack).

Kept apart from NetSuiteAdapter on purpose: production code never touches these paths. Bodies
are read with Decimal numbers, so amounts compare exactly.
"""

from __future__ import annotations

from typing import Any

from adapters.erp.netsuite import wire
from adapters.sandbox.catalog import CatalogCustomer, CatalogItem, CatalogOrder
from adapters.sandbox.control_client import SandboxControl


class NetSuiteSandboxControl(SandboxControl):
    async def _call(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        return wire.loads((await self._send(method, path, body, params)).content)

    async def reset(self) -> None:
        await self._call("POST", "reset")

    async def dump(
        self, record_type: str | None = None, *, with_records: bool = True
    ) -> dict[str, Any]:
        """Records by type (REST shape, links stripped), inventory, login audit, governance."""
        params = {"type": record_type} if record_type else {}
        if not with_records:
            params["records"] = "false"
        dump: dict[str, Any] = await self._call("GET", "records", **params)
        return dump

    async def records(self, record_type: str) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = (await self.dump(record_type))["records"].get(
            record_type, []
        )
        return records

    async def on_hand(self, item_id: str, location_id: str) -> int:
        return await self._stock(item_id, location_id, "onHand")

    async def _stock(self, item_id: str, location_id: str, column: str) -> int:
        rows = (await self.dump(with_records=False))["inventory"]
        return next(
            (int(r[column]) for r in rows if r["item"] == item_id and r["location"] == location_id),
            0,
        )

    async def login_audit(self) -> list[dict[str, Any]]:
        audit: list[dict[str, Any]] = (await self.dump(with_records=False))["loginAudit"]
        return audit

    async def faults(self, **config: Any) -> None:
        """See FaultConfig: latency_ms, rate_429, rate_5xx, rate_timeout, fail_next, paths."""
        await self._call("POST", "faults", config)

    async def governance(
        self,
        *,
        concurrency_limit: int | None = None,
        integration_limit: int | None = None,
        clear_integration_limit: bool = False,
        readable: bool | None = None,
    ) -> dict[str, Any]:
        body = {
            "concurrency_limit": concurrency_limit,
            "integration_limit": integration_limit,
            "clear_integration_limit": clear_integration_limit,
            "readable": readable,
        }
        result: dict[str, Any] = (await self._call("POST", "governance", body))["governance"]
        return result

    async def lose_responses(self, count: int) -> None:
        await self._call("POST", "lose-responses", {"count": count})

    async def preferences(self, *, allow_refund_in_advance: bool) -> None:
        await self._call(
            "POST", "preferences", {"allow_refund_in_advance": allow_refund_in_advance}
        )

    async def add_order(self, order: CatalogOrder) -> str:
        return str((await self._call("POST", "orders", order.model_dump(mode="json")))["id"])

    async def add_item(self, item: CatalogItem) -> str:
        return str((await self._call("POST", "items", item.model_dump(mode="json")))["id"])

    async def delete_order(self, order_id: str) -> None:
        await self._call("POST", f"delete-order/{order_id}")

    async def add_customer(self, customer: CatalogCustomer) -> str:
        return str((await self._call("POST", "customers", customer.model_dump(mode="json")))["id"])

    async def item_flags(
        self, item_id: str, *, inactive: bool | None = None, online: bool | None = None
    ) -> None:
        """Make an item (un)sellable: inactive, or off the web store (isOnline false)."""
        await self._call(
            "POST", f"items/{item_id}/flags", {"isInactive": inactive, "isOnline": online}
        )

    async def set_stock(self, item_id: str, location_id: str, on_hand: int) -> None:
        await self._call(
            "POST", "stock", {"item": item_id, "location": location_id, "on_hand": on_hand}
        )

    async def available(self, item_id: str, location_id: str) -> int:
        """Units NetSuite offers for sale at the location (0 in a non-nettable location)."""
        return await self._stock(item_id, location_id, "available")

    # --- OAuth 2.0 (see oauth2.py) -------------------------------------------------------

    async def register_certificate(
        self, *, client_id: str, certificate_id: str, public_key_pem: str
    ) -> dict[str, Any]:
        """Map a certificate to the integration, as Setup > OAuth 2.0 Client Credentials does."""
        body = {
            "client_id": client_id,
            "certificate_id": certificate_id,
            "public_key_pem": public_key_pem,
        }
        result: dict[str, Any] = await self._call("POST", "oauth2/certificates", body)
        return result

    async def revoke_tokens(self) -> None:
        await self._call("POST", "oauth2/revoke")

    async def token_lifetime(self, seconds: int) -> None:
        await self._call("POST", "oauth2/settings", {"token_lifetime": seconds})

    async def advance_oauth2_clock(self, seconds: float) -> None:
        """Move the token issuer's clock forward: tokens expire without the test sleeping."""
        await self._call("POST", "oauth2/clock", {"seconds": seconds})

    async def oauth2_stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = await self._call("GET", "oauth2")
        return stats

    async def in_the_screens(self, ra_id: str, action: str, field: str | None = None) -> None:
        """Act on an RA as a person in NetSuite would: close, cancel, check or uncheck a box."""
        await self._call("POST", f"returns/{ra_id}/screen", {"action": action, "field": field})
