"""The sandbox's records and Loop's state rules (reference §4), apart from HTTP.

Every change that Loop announces goes through `WebhookDispatcher.emit`; every action is logged
with its outcome so `/_sandbox/records` shows exactly what a client asked and what happened.
Processing is "queued" but applied at once; the webhooks it causes still arrive asynchronously.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from adapters.sandbox.catalog import Catalog
from adapters.sandbox.loop import payloads
from adapters.sandbox.loop.errors import coded, not_found
from adapters.sandbox.loop.returns import (
    OUTCOME_OF_WIRE,
    REFUND_LIKE,
    IdPool,
    ReturnSpec,
    SpecError,
    build_return,
    iso,
)
from adapters.sandbox.loop.webhooks import WebhookDispatcher

STATES = ("open", "review", "closed", "cancelled", "expired")
DEFAULT_LIST_STATES = frozenset({"open", "closed", "expired"})


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class Stored:
    obj: dict[str, Any]
    created: datetime
    updated: datetime
    fail_processing: bool = False
    failure_message: str | None = None


class LoopState:
    def __init__(
        self, catalog: Catalog, hooks: WebhookDispatcher, *, allow_flagged_processing: bool
    ) -> None:
        self.catalog = catalog
        self.hooks = hooks
        self.allow_flagged_processing = allow_flagged_processing
        self.reset()

    def reset(self) -> None:
        self.ids = IdPool()
        self.returns: dict[str, Stored] = {}
        self._line_owners: dict[str, str] = {}  # line_item_id -> return id (lines never move)
        self.notes: dict[str, list[dict[str, Any]]] = {}
        self.grades: list[dict[str, Any]] = []
        self.dispositions: list[dict[str, Any]] = []
        self.actions: list[dict[str, Any]] = []
        self.api_calls: list[dict[str, Any]] = []

    # --- lookups --------------------------------------------------------------------------

    def get(self, return_id: str) -> Stored:
        stored = self.returns.get(str(return_id))
        if stored is None:
            raise not_found()
        return stored

    def line_owner(self, line_item_id: str) -> str | None:
        return self._line_owners.get(line_item_id)

    def listed(
        self, field: str, start: datetime, end: datetime, states: frozenset[str]
    ) -> list[dict[str, Any]]:
        """Returns whose `field` time is in [start, end], oldest first, ties by id."""
        rows = [
            stored
            for stored in self.returns.values()
            if stored.obj["state"] in states
            and start <= (stored.created if field == "created_at" else stored.updated) <= end
        ]
        rows.sort(key=lambda s: (s.created if field == "created_at" else s.updated, _num(s)))
        return [s.obj for s in rows]

    # --- changes ------------------------------------------------------------------------

    def _touch(self, stored: Stored, state: str | None = None) -> None:
        # Strictly after the previous stamp, so updated_at windows see every change.
        stamp = max(now(), stored.updated + timedelta(seconds=1))
        stored.updated = stamp
        stored.obj["updated_at"] = iso(stamp)
        if state is not None:
            stored.obj["state"] = state

    def _announce_state(self, stored: Stored) -> None:
        self.hooks.emit(payloads.return_event("return.updated", stored.obj))
        if stored.obj["state"] == "closed":
            self.hooks.emit(payloads.return_event("return.closed", stored.obj))

    def create(self, spec: ReturnSpec) -> dict[str, Any]:
        if spec.return_id is not None and spec.return_id in self.returns:
            raise SpecError(f"return {spec.return_id} exists")
        obj = build_return(spec, self.catalog, self.ids, now())
        created = datetime.fromisoformat(obj["created_at"].replace("Z", "+00:00"))
        self.returns[obj["id"]] = Stored(obj, created, created)
        for line in obj["line_items"]:
            self._line_owners.setdefault(line["line_item_id"], obj["id"])
        self.hooks.emit(payloads.return_event("return.created", obj))
        return obj

    def _record(self, action: str, stored: Stored, before: str, outcome: str, **extra: Any) -> None:
        self.actions.append(
            {
                "action": action,
                "return_id": stored.obj["id"],
                "state_before": before,
                "state_after": stored.obj["state"],
                "outcome": outcome,
                "at": iso(now()),
                **extra,
            }
        )

    def _refuse(self, action: str, stored: Stored, code: str, message: str) -> dict[str, Any]:
        state = stored.obj["state"]
        self._record(action, stored, state, code)
        return coded(message, code)

    def process(self, return_id: str, details: dict[str, Any] | None) -> Any:
        """'true' when queued, else Loop's errors body (HTTP 200, as the derived spec has it)."""
        stored = self.get(return_id)
        state = stored.obj["state"]
        if state == "review" and not self.allow_flagged_processing:
            return self._refuse(
                "process",
                stored,
                "UNPROCESSABLE_FLAGGED_RETURN",
                "Return is flagged for review and therefore cannot be processed.",
            )
        if state not in ("open", "review"):
            return self._refuse(
                "process",
                stored,
                "UNPROCESSABLE_RETURN",
                f"Return is {state} and therefore cannot be processed.",
            )
        if stored.fail_processing:
            stored.fail_processing = False
            self._record("process", stored, state, "queued", details=details, failed=True)
            failed = payloads.processing_failed_event(stored.obj, stored.failure_message)
            self.hooks.emit(failed)
            return "true"
        self._fulfil(stored)
        self._touch(stored, "closed")
        self._record("process", stored, state, "queued", details=details)
        self._announce_state(stored)
        if _outcome(stored) == "store_credit":
            self.hooks.emit(payloads.giftcard_event(stored.obj, stored.obj["gift_card_order_id"]))
        return "true"

    def _fulfil(self, stored: Stored) -> None:
        """What processing creates in Shopify: refunds, a gift card or an exchange order."""
        obj, outcome = stored.obj, _outcome(stored)
        if outcome in REFUND_LIKE and Decimal(obj["refund"]) > 0:
            obj["refunds"] = [
                {
                    "gateway": "shopify_payments",
                    "amount": obj["refund"],
                    "currency": obj["currency"],
                    "provider_refund_id": str(self.ids.take("refund")),
                }
            ]
        elif outcome == "store_credit":
            obj["gift_card_order_id"] = self.ids.take("gift_card")
            obj["gift_card_order_name"] = f"{obj['order_name']}-GC"
        elif outcome == "exchange":
            obj["exchange_order_id"] = str(self.ids.take("exchange_order"))
            obj["exchange_order_name"] = f"{obj['order_name']}-EX"

    def simple_action(self, action: str, return_id: str) -> Any:
        """cancel / close / flag: allowed from `open` only."""
        stored = self.get(return_id)
        state = stored.obj["state"]
        target = {"cancel": "cancelled", "close": "closed", "flag": "review"}[action]
        verb = {"cancel": "cancelled", "close": "closed", "flag": "flagged"}[action]
        if state == "review" and action != "flag":
            return self._refuse(
                action,
                stored,
                "UNPROCESSABLE_FLAGGED_RETURN",
                f"Return is flagged for review and therefore cannot be {verb}.",
            )
        if state != "open":
            return self._refuse(
                action,
                stored,
                "UNPROCESSABLE_RETURN",
                f"Return is {state} and therefore cannot be {verb}.",
            )
        self._touch(stored, target)
        self._record(action, stored, state, "done")
        self._announce_state(stored)
        return "true"

    def admin_state(self, return_id: str, state: str) -> dict[str, Any]:
        stored = self.get(return_id)
        before = stored.obj["state"]
        self._touch(stored, state)
        self._record("admin_state", stored, before, "done")
        self._announce_state(stored)
        return stored.obj

    def label(
        self, return_id: str, label_status: str, tracking_number: str | None, carrier: str | None
    ) -> dict[str, Any]:
        stored = self.get(return_id)
        obj = stored.obj
        self._touch(stored)
        obj["label_status"] = label_status
        obj["label_updated_at"] = obj["updated_at"]
        if tracking_number is not None:
            obj["tracking_number"] = tracking_number
            if obj["carrier"] == "N/A" and carrier is None:
                carrier = "Royal Mail"
        if carrier is not None:
            obj["carrier"] = carrier
        obj["labels"] = [
            {
                "status": label_status,
                "updated_at": obj["label_updated_at"],
                "url": f"https://labels.example.com/{obj['id']}.pdf",
                "rate": 395,
                "carrier": obj["carrier"],
                "tracking_number": obj["tracking_number"],
                "line_items": [line["line_item_id"] for line in obj["line_items"]],
            }
        ]
        shipment = f"shp_{obj['id']}"
        self.hooks.emit(payloads.label_event("label.updated", obj, shipment))
        return obj

    def restock(self, return_id: str) -> dict[str, Any]:
        event = payloads.restock_event(self.get(return_id).obj)
        self.hooks.emit(event)
        return event

    def arm_processing_failure(self, return_id: str, message: str | None) -> None:
        stored = self.get(return_id)
        stored.fail_processing = True
        stored.failure_message = message

    def records(self) -> dict[str, Any]:
        return {
            "returns": {rid: s.obj for rid, s in self.returns.items()},
            "notes": self.notes,
            "grades": self.grades,
            "dispositions": self.dispositions,
            "actions": self.actions,
            "api_calls": self.api_calls,
            "webhooks": list(self.hooks.subscriptions.values()),
            "webhook_failures": self.hooks.failures,
            "webhook_events": self.hooks.events,
            "webhook_deliveries": self.hooks.deliveries,
        }


def _outcome(stored: Stored) -> str:
    wire = stored.obj["outcome"]
    return OUTCOME_OF_WIRE.get(wire, wire)


def _num(stored: Stored) -> tuple[int, str]:
    rid = stored.obj["id"]
    return (int(rid), rid) if rid.isdigit() else (0, rid)
