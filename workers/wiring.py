"""The composition root: build adapters and the activity set from settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from activities.erp import ErpActivities
from activities.loop import LoopActivities
from activities.mapping import MasterData
from activities.store import StoreActivities
from adapters.erp.netsuite.oauth2 import OAuth2Credentials
from adapters.erp.protocol import ErpAdapter
from adapters.loop.client import LoopClient
from adapters.store import Store
from workers.mappings import load_mappings
from workers.settings import Settings
from workflows.model import Disposition


def build_loop(settings: Settings) -> LoopClient:
    return LoopClient(
        base_url=settings.loop_base_url,
        api_key=settings.loop_api_key.get_secret_value(),
        version=settings.loop_api_version,
    )


def netsuite_oauth2(settings: Settings) -> OAuth2Credentials | None:
    """OAuth 2.0 M2M credentials when RETURNFLOW_NETSUITE_AUTH=oauth2, else None (TBA)."""
    if settings.netsuite_auth != "oauth2":
        return None
    key = settings.netsuite_private_key.get_secret_value()
    if settings.netsuite_private_key_file is not None:
        key = settings.netsuite_private_key_file.read_text()
    if not (key and settings.netsuite_certificate_id and settings.netsuite_client_id):
        raise ValueError(
            "NetSuite OAuth 2.0 needs RETURNFLOW_NETSUITE_CLIENT_ID, _CERTIFICATE_ID and "
            "_PRIVATE_KEY (or _PRIVATE_KEY_FILE)"
        )
    return OAuth2Credentials(
        client_id=settings.netsuite_client_id.get_secret_value(),
        certificate_id=settings.netsuite_certificate_id,
        private_key=key,
        algorithm=settings.netsuite_jwt_algorithm,
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
            books=netsuite_books(settings),
            max_concurrency=settings.erp_max_concurrency,
            oauth2=netsuite_oauth2(settings),
        )
    if settings.erp_system == "khaos":
        return build_khaos(settings)
    if settings.erp_system == "prima":
        return build_prima(settings)
    raise ValueError(f"unknown ERP system {settings.erp_system!r} (RETURNFLOW_ERP_SYSTEM)")


def build_khaos(settings: Settings) -> ErpAdapter:
    from adapters.erp.khaos import KhaosAdapter, KhaosConfig

    states = {**KhaosConfig().return_states, **settings.khaos_return_states}
    return KhaosAdapter(
        base_url=settings.khaos_base_url,
        exe=settings.khaos_exe,
        username=settings.khaos_username.get_secret_value(),
        password=settings.khaos_password.get_secret_value(),
        config=KhaosConfig(
            mapping_type=settings.khaos_mapping_type,
            return_reason=settings.khaos_return_reason,
            reasons=dict(settings.khaos_reasons),
            site_id=settings.khaos_site_id,
            locations=dict(settings.khaos_locations),
            posting=settings.khaos_posting,
            batch_window_seconds=settings.khaos_batch_window.total_seconds(),
            batch_size=settings.khaos_batch_size,
            review_flag=settings.khaos_review_flag,
            return_states=states,
        ),
        max_concurrency=settings.erp_max_concurrency,
    )


def build_prima(settings: Settings) -> ErpAdapter:
    from dataclasses import replace

    from adapters.erp.prima import PrimaAdapter, PrimaConfig

    mapping = settings.prima_mapping_file or settings.mappings_file
    config = replace(
        PrimaConfig.from_file(mapping) if mapping else PrimaConfig(),
        default_reason=settings.prima_default_reason,
        company=settings.prima_company,
        review_flag=settings.prima_review_flag,
        return_states={**PrimaConfig().return_states, **settings.prima_return_states},
    )
    return PrimaAdapter(
        base_url=settings.prima_base_url,
        env=settings.prima_env,
        config=config,
        max_concurrency=settings.erp_max_concurrency,
    )


def netsuite_books(settings: Settings) -> Any:
    from adapters.erp.netsuite.books import NetSuiteBooks

    return NetSuiteBooks(
        locations=dict(settings.netsuite_locations),
        scrap_account_id=settings.netsuite_scrap_account_id,
        store_credit_account_id=settings.netsuite_store_credit_account_id,
        store_credit_payment_method_id=settings.netsuite_store_credit_payment_method_id,
        storefront_refund_account_id=settings.netsuite_storefront_refund_account_id,
        review_field=settings.netsuite_review_field,
    )


@dataclass
class Adapters:
    loop: LoopClient
    erp: ErpAdapter
    store: Store
    mappings: MasterData | None = None  # the mapping file (RETURNFLOW_MAPPINGS_FILE)

    @classmethod
    def from_settings(cls, settings: Settings) -> Adapters:
        store = Store.from_url(settings.store_url)
        store.create_all()
        mappings = load_mappings(settings.mappings_file) if settings.mappings_file else None
        return cls(
            loop=build_loop(settings), erp=build_erp(settings), store=store, mappings=mappings
        )

    def activities(self) -> list[Any]:
        return [
            *ErpActivities(self.erp, self.store, self.mappings).all(),
            *LoopActivities(self.loop, self._loop_dispositions()).all(),
            *StoreActivities(self.store).all(),
        ]

    def _loop_dispositions(self) -> dict[Disposition, str] | None:
        """What Loop's dispositioning is told, from the mapping file when it has the table."""
        return dict(self.mappings.dispositions.outbound) if self.mappings else None

    async def aclose(self) -> None:
        await self.loop.aclose()
        await self.erp.aclose()
