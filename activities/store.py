"""Projection writes, run as local activities: idempotent, so a retried write changes nothing."""

from __future__ import annotations

import asyncio

from temporalio import activity

from adapters.store import Store
from workflows.contracts import (
    Act,
    CustomerHistoryInput,
    ExceptionRecord,
    SkuMappingInput,
    TransitionRecord,
)
from workflows.model import CustomerHistory


class StoreActivities:
    def __init__(self, store: Store) -> None:
        self.store = store

    @activity.defn(name=Act.STORE_TRANSITION)
    async def record_transition(self, record: TransitionRecord) -> None:
        projection = record.projection.model_dump(exclude_unset=True)
        await asyncio.to_thread(self.store.record_transition, record.transition, projection)

    @activity.defn(name=Act.STORE_EXCEPTION)
    async def record_exception(self, record: ExceptionRecord) -> None:
        projection = record.projection.model_dump(exclude_unset=True) if record.projection else None
        await asyncio.to_thread(self._exception, record, projection)

    def _exception(self, record: ExceptionRecord, projection: dict | None) -> None:
        self.store.upsert_exception(record.case)
        if projection is not None:
            self.store.upsert_return(record.case.return_id, **projection)

    @activity.defn(name=Act.STORE_MAPPING)
    async def save_sku_mapping(self, inp: SkuMappingInput) -> None:
        await asyncio.to_thread(
            self.store.save_sku_mapping,
            inp.erp_system,
            inp.sku,
            inp.erp_item_id,
            inp.saved_by,
            inp.note,
        )

    @activity.defn(name=Act.STORE_CUSTOMER_HISTORY)
    async def customer_history(self, inp: CustomerHistoryInput) -> CustomerHistory:
        count = await asyncio.to_thread(
            self.store.customer_returns_since, inp.customer_key, inp.since, inp.return_id
        )
        return CustomerHistory(
            returns_in_window=count, window_days=inp.window_days, trusted=inp.trusted
        )

    def all(self) -> list:
        return [
            self.record_transition,
            self.record_exception,
            self.save_sku_mapping,
            self.customer_history,
        ]
