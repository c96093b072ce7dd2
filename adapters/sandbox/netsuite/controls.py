"""Sandbox controls under /_sandbox/: no auth, never faulted or counted against governance.

Tests and auditors reset the account, read every record, tune governance, add or delete
orders and items, and make the next writes lose their answers.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from adapters.sandbox.catalog import CatalogCustomer, CatalogItem, CatalogOrder
from adapters.sandbox.faults import FaultConfig

from .account import SandboxAccount
from .responses import NsJSONResponse
from .seed import add_customer, add_item, add_order
from .store import Record


class GovernanceSettings(BaseModel):
    concurrency_limit: int | None = Field(default=None, ge=1)
    integration_limit: int | None = Field(default=None, ge=1)
    clear_integration_limit: bool = False
    readable: bool | None = None


class LoseResponsesRequest(BaseModel):
    count: int = Field(ge=0)


class PreferencesRequest(BaseModel):
    allow_refund_in_advance: bool


class ItemFlags(BaseModel):
    """An item's sellability: inactive items and items off the web store cannot be sold."""

    isInactive: bool | None = None  # NetSuite's field names
    isOnline: bool | None = None


class ErpScreenAction(BaseModel):
    """What a person does to an RA in NetSuite's own screens (returnflow did not do it)."""

    action: str = Field(pattern="^(close|cancel|check|uncheck)$")
    field: str | None = None  # the checkbox, for check/uncheck


class StockLevel(BaseModel):
    item: str
    location: str
    on_hand: int = Field(ge=0)


def controls_router(account: SandboxAccount) -> APIRouter:
    router = APIRouter(prefix="/_sandbox")

    @router.post("/reset")
    async def reset() -> dict:
        """Let requests still in flight (a client that timed out) finish first, so they land
        in the old state, not in the next test's."""
        account.injector.configure(FaultConfig())
        for _ in range(500):
            if account.governance.in_flight == 0:
                break
            await asyncio.sleep(0.01)
        account.reset()
        return {"ok": True}

    @router.get("/records")
    async def records(request: Request, type: str | None = None, records: bool = True) -> Response:
        """?type=<recordType> for one type; ?records=false for stock, audit and settings."""
        base = str(request.base_url).rstrip("/")
        return NsJSONResponse(account.dump(base, type, with_records=records))

    @router.post("/governance")
    async def governance(settings: GovernanceSettings) -> dict:
        gov = account.governance
        if settings.concurrency_limit is not None:
            gov.account_limit = settings.concurrency_limit
        if settings.integration_limit is not None:
            gov.integration_limit = settings.integration_limit
        if settings.clear_integration_limit:
            gov.integration_limit = None
        if settings.readable is not None:
            gov.readable = settings.readable
        return {"ok": True, "governance": gov.stats()}

    @router.post("/orders")
    async def add_sales_order(order: CatalogOrder) -> dict:
        record = add_order(account.store, account.catalog, order, account.prefs.main_location_id)
        account.catalog.orders[order.order_name] = order
        return {"ok": True, "id": record.id}

    @router.post("/items")
    async def add_inventory_item(item: CatalogItem) -> dict:
        record = add_item(account.store, item, account.prefs.main_location_id)
        account.catalog.items[item.sku] = item
        return {"ok": True, "id": record.id}

    @router.post("/items/{item_id}/flags")
    async def item_flags(item_id: str, flags: ItemFlags) -> dict:
        record: Record = account.store.get("inventoryItem", item_id)
        record.fields.update(flags.model_dump(exclude_none=True))
        return {"ok": True, "id": item_id}

    @router.post("/stock")
    async def stock(level: StockLevel) -> dict:
        """Set on-hand units at a location (a stock count), e.g. to sell an item out."""
        account.store.get("inventoryItem", level.item)
        account.store.get("location", level.location)
        account.store.on_hand[(level.item, level.location)] = level.on_hand
        return {"ok": True}

    @router.post("/customers")
    async def add_customer_record(customer: CatalogCustomer) -> dict:
        record = add_customer(account.store, customer)
        account.catalog.customers[customer.email] = customer
        return {"ok": True, "id": record.id}

    @router.post("/delete-order/{order_id}")
    async def delete_order(order_id: str) -> dict:
        record = account.store.get("salesOrder", order_id)
        account.store.remove(record)
        return {"ok": True, "id": order_id}

    @router.post("/returns/{ra_id}/screen")
    async def in_the_screens(ra_id: str, act: ErpScreenAction) -> dict:
        ra = account.store.get("returnAuthorization", ra_id)
        if act.action == "cancel":
            ra.fields["cancelled"] = True
        elif act.action == "close":
            for line in ra.lines:
                line.is_closed = True
        else:
            field = act.field or account.prefs.ra_checkboxes[0]
            if field not in account.prefs.ra_checkboxes:
                raise HTTPException(400, f"no checkbox {field} on return authorizations")
            ra.fields[field] = act.action == "check"
        return {"ok": True, "id": ra.id}

    @router.post("/lose-responses")
    async def lose_responses(request: LoseResponsesRequest) -> dict:
        account.lost.remaining = request.count
        return {"ok": True, "remaining": request.count}

    @router.post("/preferences")
    async def preferences(request: PreferencesRequest) -> dict:
        account.prefs.allow_refund_in_advance = request.allow_refund_in_advance
        return {"ok": True, "preferences": vars(account.prefs)}

    return router
