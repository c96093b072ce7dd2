"""Sandbox controls under /_sandbox/: no key, never faulted, kept apart from Loop's paths.

They play the parts Loop's customers and admins play (submit a return, a carrier scan, an admin
state change) and let a test wait for webhooks (`flush`, or `?wait=true`) and audit every record.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from adapters.sandbox.loop.returns import ReturnSpec, SpecError
from adapters.sandbox.loop.state import LoopState
from adapters.sandbox.loop.webhooks import EMITTED


class LabelUpdate(BaseModel):
    label_status: str
    tracking_number: str | None = None
    carrier: str | None = None


class StateChange(BaseModel):
    state: Literal["open", "review", "closed", "cancelled", "expired"]


class ProcessingFailure(BaseModel):
    message: str | None = "Shopify refused the refund."


class WebhookTarget(BaseModel):
    url: str


def controls(world: LoopState, reset: Any) -> APIRouter:
    router = APIRouter(prefix="/_sandbox")

    async def settle(wait: bool) -> None:
        if wait:
            await world.hooks.flush()

    def known(return_id: str) -> None:
        if return_id not in world.returns:
            raise HTTPException(404, f"no return {return_id}")

    @router.post("/reset")
    async def reset_all() -> dict[str, Any]:
        reset()
        return {"ok": True}

    @router.post("/returns")
    async def create_return(spec: ReturnSpec, wait: bool = False) -> dict[str, Any]:
        try:
            obj = world.create(spec)
        except SpecError as exc:
            raise HTTPException(422, str(exc)) from None
        await settle(wait)
        return obj

    @router.post("/returns/{return_id}/label")
    async def label(return_id: str, update: LabelUpdate, wait: bool = False) -> dict[str, Any]:
        known(return_id)
        obj = world.label(return_id, update.label_status, update.tracking_number, update.carrier)
        await settle(wait)
        return obj

    @router.post("/returns/{return_id}/restock")
    async def restock(return_id: str, wait: bool = False) -> dict[str, Any]:
        known(return_id)
        event = world.restock(return_id)
        await settle(wait)
        return event

    @router.post("/returns/{return_id}/state")
    async def admin_state(return_id: str, change: StateChange, wait: bool = False) -> dict:
        known(return_id)
        obj = world.admin_state(return_id, change.state)
        await settle(wait)
        return obj

    @router.post("/returns/{return_id}/fail-processing")
    async def fail_processing(return_id: str, failure: ProcessingFailure) -> dict[str, Any]:
        """Arm one failure: the next process answers "true" but fails asynchronously."""
        known(return_id)
        world.arm_processing_failure(return_id, failure.message)
        return {"ok": True}

    @router.post("/webhook-target")
    async def webhook_target(target: WebhookTarget) -> dict[str, Any]:
        hooks = [world.hooks.subscribe(t, tr, target.url, "active") for t, tr in EMITTED]
        return {"webhooks": hooks}

    @router.post("/flush")
    async def flush() -> dict[str, Any]:
        await world.hooks.flush()
        return {"ok": True, "deliveries": len(world.hooks.deliveries)}

    @router.get("/records")
    async def records() -> dict[str, Any]:
        return world.records()

    return router
