"""The composition root: build adapters and the activity set from settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from activities.erp import ErpActivities
from activities.loop import LoopActivities
from activities.store import StoreActivities
from adapters.erp.protocol import ErpAdapter
from adapters.loop.client import LoopClient
from adapters.store import Store
from workers.settings import Settings


def build_loop(settings: Settings) -> LoopClient:
    return LoopClient(
        base_url=settings.loop_base_url,
        api_key=settings.loop_api_key.get_secret_value(),
        version=settings.loop_api_version,
    )


def build_erp(settings: Settings) -> ErpAdapter:
    if settings.erp_system == "netsuite":
        from adapters.erp.netsuite import NetSuiteAdapter

        return NetSuiteAdapter(
            base_url=settings.netsuite_base_url,
            account_id=settings.netsuite_account_id,
            consumer_key=settings.netsuite_consumer_key.get_secret_value(),
            consumer_secret=settings.netsuite_consumer_secret.get_secret_value(),
            token_id=settings.netsuite_token_id.get_secret_value(),
            token_secret=settings.netsuite_token_secret.get_secret_value(),
            holding_location_id=settings.netsuite_holding_location_id,
            refund_account_id=settings.netsuite_refund_account_id,
            max_concurrency=settings.erp_max_concurrency,
        )
    raise ValueError(f"unknown ERP system {settings.erp_system!r} (RETURNFLOW_ERP_SYSTEM)")


@dataclass
class Adapters:
    loop: LoopClient
    erp: ErpAdapter
    store: Store

    @classmethod
    def from_settings(cls, settings: Settings) -> Adapters:
        store = Store.from_url(settings.store_url)
        store.create_all()
        return cls(loop=build_loop(settings), erp=build_erp(settings), store=store)

    def activities(self) -> list[Any]:
        return [
            *ErpActivities(self.erp, self.store).all(),
            *LoopActivities(self.loop).all(),
            *StoreActivities(self.store).all(),
        ]

    async def aclose(self) -> None:
        await self.loop.aclose()
        await self.erp.aclose()
