"""Runtime configuration: RETURNFLOW_* environment variables (secrets, endpoints, policy).

Secrets are SecretStr so they never print in a repr or a log line.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from workflows.exceptions import ExceptionKind
from workflows.model import (
    Disposition,
    ErpReturnState,
    Escalation,
    GateSlas,
    ReturnConfig,
    SyncDirection,
    Thresholds,
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RETURNFLOW_", env_file=".env", extra="ignore")

    # Temporal
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "returnflow"
    temporal_ui_url: str = "http://127.0.0.1:8233"

    # projection store
    store_url: str = "sqlite:///.returnflow/returnflow.db"

    # Loop
    loop_base_url: str = "https://api.loopreturns.com"
    loop_api_key: SecretStr = SecretStr("")
    loop_api_version: str = "v1"
    loop_webhook_secrets: SecretStr = SecretStr("")  # comma-separated: rotation keeps the old one

    # ERP
    erp_system: str = "netsuite"
    netsuite_base_url: str = "https://123456-sb1.suitetalk.api.netsuite.com"
    netsuite_account_id: str = "123456_SB1"
    netsuite_consumer_key: SecretStr = SecretStr("")
    netsuite_consumer_secret: SecretStr = SecretStr("")
    netsuite_token_id: SecretStr = SecretStr("")
    netsuite_token_secret: SecretStr = SecretStr("")
    netsuite_holding_location_id: str = "2"
    netsuite_refund_account_id: str | None = None
    # where inspected stock and store credit post (defaults: the sandbox account's ids)
    netsuite_locations: dict[str, str] = Field(
        default_factory=lambda: {"sellable": "1", "refurb": "3"}
    )
    netsuite_scrap_account_id: str | None = "3"
    netsuite_store_credit_account_id: str | None = "4"
    netsuite_store_credit_payment_method_id: str | None = "5"
    netsuite_storefront_refund_account_id: str | None = "5"
    netsuite_review_field: str = Field(  # the RA checkbox that means "a person must review"
        default="custbody_rf_review", pattern=r"^custbody[a-z0-9_]*$"
    )
    mappings_file: str | None = None  # the TOML mapping file (docs/mappings.example.toml)
    erp_max_concurrency: int = 4

    # Khaos Control (RETURNFLOW_ERP_SYSTEM=khaos): IKosWeb SOAP at <base>/<exe>/soap/IKosWeb
    khaos_base_url: str = "http://127.0.0.1:8081"
    khaos_exe: str = "KhaosIDS.exe"
    khaos_username: SecretStr = SecretStr("")
    khaos_password: SecretStr = SecretStr("")
    khaos_mapping_type: int = 2  # how SKUs match stock items: 2 other ref, 1 code, 5 barcode
    khaos_return_reason: str = "QUAR"  # its processing type (Quarantine) keeps receipts unsellable
    khaos_reasons: dict[str, str] = Field(default_factory=dict)  # Loop reason -> Khaos reason
    khaos_site_id: str = "1"
    khaos_locations: dict[str, str] = Field(
        default_factory=lambda: {"holding": "QUARANTINE", "sellable": "MAIN", "refurb": "REFURB"}
    )
    khaos_posting: Literal["realtime", "batched"] = "realtime"
    khaos_batch_window: timedelta = timedelta(milliseconds=250)
    khaos_batch_size: int = 50
    khaos_review_flag: str = "ON_HOLD"  # the return's boolean field that means "review this"
    khaos_return_states: dict[str, ErpReturnState] = Field(default_factory=dict)  # extra words

    # Prima (RETURNFLOW_ERP_SYSTEM=prima): the OpenEdge handler at <base>/wsa/wsa<env>
    prima_base_url: str = "http://127.0.0.1:8082"
    prima_env: str = "1"
    prima_company: str | None = None  # set: comwsomhandler with this company id
    prima_mapping_file: str | None = None  # [prima.items]/[prima.reasons]; else mappings_file
    prima_default_reason: str = "UNWANTED"  # a reason whose depot is the resale returns depot
    prima_review_flag: str = "OnHold"  # the sales return's Yes/No attribute meaning "review"
    prima_return_states: dict[str, ErpReturnState] = Field(default_factory=dict)  # extra words

    # ingress
    ingress_host: str = "127.0.0.1"
    ingress_port: int = 8000
    # when Loop gets its 2xx: "temporal" once the signal-with-start returned; "store" once the
    # event is written to the store, a forwarder then hands it to Temporal (at least once)
    ingress_ack: Literal["temporal", "store"] = "temporal"
    ingress_forward_concurrency: int = Field(default=16, ge=1, le=256)
    # who forwards what the store acked: "inline" (a task in each ingress process, woken by each
    # ack) or "separate" (`returnflow forwarder` processes, so an ack never waits for the GIL
    # behind a hand-over); the forwarder looks for work this often when nothing woke it
    ingress_forwarder: Literal["inline", "separate"] = "inline"
    ingress_forward_poll_s: float = Field(default=0.25, gt=0, le=60)

    # policy
    auto_approve_below: Decimal = Decimal("100")
    amount_tolerance: Decimal = Decimal("0.05")
    finance_approvers: list[str] = Field(default_factory=list)
    finance_group_above: Decimal | None = None
    sla_receipt: timedelta = timedelta(days=14)
    sla_inspection: timedelta = timedelta(days=2)
    sla_approval: timedelta = timedelta(hours=24)
    sla_exception: timedelta = timedelta(hours=24)
    erp_retry_initial: timedelta = timedelta(seconds=1)
    erp_max_attempts: int = 6
    activity_timeout: timedelta = timedelta(seconds=60)
    # refund governance (issue 4): JSON lists/maps in env vars, e.g.
    # RETURNFLOW_THRESHOLDS='[{"storefront": "eu", "category": "shoes", "auto_approve_below": 60}]'
    thresholds: list[Thresholds] = Field(default_factory=list)
    exception_slas: dict[str, timedelta] = Field(default_factory=dict)  # kind -> SLA
    escalation: dict[str, Escalation] = Field(default_factory=dict)  # team -> steps (merged)
    repeat_returns: int = 3
    repeat_window_days: int = 90
    trusted_customers: list[str] = Field(default_factory=list)
    # one refund direction per storefront account: a storefront in both lists is refused
    sync_direction: SyncDirection = SyncDirection.ERP_FIRST
    erp_first_storefronts: list[str] = Field(default_factory=list)
    storefront_first_storefronts: list[str] = Field(default_factory=list)
    disposition_locations: dict[str, str] = Field(
        default_factory=lambda: {"restock": "sellable", "refurbish": "refurb"}
    )

    # catch-up sweep, reconciliation and the KPI scorecard (issue 7)
    sweep_interval: timedelta = timedelta(minutes=5)
    sweep_overlap: timedelta = timedelta(minutes=2)  # re-list a little before the high-water mark
    sweep_first_lookback: timedelta = timedelta(days=1)  # the first sweep's window
    # the ERP status sweep: RAs closed or flagged in the ERP's own screens (no ERP pushes them)
    erp_sweep_interval: timedelta = timedelta(minutes=10)
    erp_sweep_page: int = Field(default=200, ge=1, le=1000)
    reconcile_grace: timedelta = timedelta(hours=24)  # how long the ERP may lag Loop
    reconcile_window: timedelta = timedelta(days=1)  # one chunk of a reconciliation run
    reconcile_hour_utc: int = 2  # the daily run reconciles yesterday at this hour
    backlog_age: timedelta = timedelta(days=7)  # a return stuck longer is aged backlog
    kpi_targets: dict[str, float] = Field(default_factory=dict)  # KPI name -> target override
    kpi_category_targets: dict[str, dict[str, float]] = Field(default_factory=dict)

    # production service (issue 8): NetSuite OAuth 2.0, worker sizing, Temporal Cloud, telemetry
    netsuite_auth: Literal["tba", "oauth2"] = "tba"  # oauth2 for integrations made from 2027.1
    netsuite_client_id: SecretStr = SecretStr("")
    netsuite_certificate_id: str = ""
    netsuite_private_key: SecretStr = SecretStr("")  # PEM text, or use the _file setting
    netsuite_private_key_file: Path | None = None
    netsuite_jwt_algorithm: str = "PS256"
    erp_task_queue: str | None = None  # ERP activities on their own queue, sized to NetSuite
    max_concurrent_activities: int = 100
    max_concurrent_workflow_tasks: int = 100
    # each cached return holds its own sandboxed copy of the workflow modules: the benchmark
    # saw RSS pass 500 MB near the SDK's default of 1,000; a cache miss only costs a replay
    max_cached_workflows: int = 600
    graceful_shutdown_seconds: float = 20.0
    temporal_tls: bool = False
    temporal_tls_client_cert: Path | None = None  # mTLS (Temporal Cloud, self-hosted)
    temporal_tls_client_key: Path | None = None
    temporal_tls_server_ca: Path | None = None
    temporal_tls_server_name: str | None = None
    temporal_api_key: SecretStr = SecretStr("")  # Temporal Cloud API key (implies TLS)
    otel_exporter: Literal["none", "console", "otlp"] = "none"
    otel_endpoint: str | None = None  # OTLP/HTTP traces URL; default from OTEL_EXPORTER_OTLP_*
    otel_service_name: str = "returnflow"
    metrics_host: str = "0.0.0.0"
    metrics_port: int | None = None  # worker: /metrics, /healthz, /readyz; ingress uses its own
    temporal_metrics_port: int | None = None  # the SDK's Prometheus endpoint

    @model_validator(mode="after")
    def _one_direction_per_storefront(self) -> Settings:
        both = sorted(set(self.erp_first_storefronts) & set(self.storefront_first_storefronts))
        if both:
            raise ValueError(
                f"storefront account(s) {both} are configured for both refund directions "
                "(RETURNFLOW_ERP_FIRST_STOREFRONTS and RETURNFLOW_STOREFRONT_FIRST_STOREFRONTS); "
                "a storefront refunds one way only: erp-first for cart storefronts, "
                "storefront-first for marketplaces"
            )
        unknown = set(self.exception_slas) - {k.value for k in ExceptionKind}
        if unknown:
            raise ValueError(f"RETURNFLOW_EXCEPTION_SLAS names unknown kinds {sorted(unknown)}")
        return self

    def sync_directions(self) -> dict[str, SyncDirection]:
        return {
            **{s: SyncDirection.ERP_FIRST for s in self.erp_first_storefronts},
            **{s: SyncDirection.STOREFRONT_FIRST for s in self.storefront_first_storefronts},
        }

    def webhook_secrets(self) -> list[str]:
        raw = self.loop_webhook_secrets.get_secret_value()
        return [s.strip() for s in raw.split(",") if s.strip()]

    def return_config(self) -> ReturnConfig:
        return ReturnConfig(
            erp_system=self.erp_system,
            auto_approve_below=self.auto_approve_below,
            amount_tolerance=self.amount_tolerance,
            holding_location_id=(
                self.netsuite_holding_location_id if self.erp_system == "netsuite" else "holding"
            ),
            finance_approvers=self.finance_approvers,
            finance_group_above=self.finance_group_above,
            erp_retry_initial=self.erp_retry_initial,
            erp_max_attempts=self.erp_max_attempts,
            activity_timeout=self.activity_timeout,
            erp_task_queue=self.erp_task_queue,
            thresholds=self.thresholds,
            exception_slas=self.exception_slas,
            escalation={**ReturnConfig().escalation, **self.escalation},
            repeat_returns=self.repeat_returns,
            repeat_window_days=self.repeat_window_days,
            trusted_customers=self.trusted_customers,
            sync_direction=self.sync_direction,
            sync_directions=self.sync_directions(),
            disposition_locations=self.disposition_locations,
            grade_dispositions=_grades(self.mappings_file),
            slas=GateSlas(
                receipt=self.sla_receipt,
                inspection=self.sla_inspection,
                approval=self.sla_approval,
                exception=self.sla_exception,
            ),
        )


@lru_cache(maxsize=8)
def _grades(mappings_file: str | None) -> dict[str, Disposition]:
    """Grade -> disposition from the mapping file, read once per file (config is per return)."""
    if not mappings_file:
        return {}
    from workers.mappings import load_mappings

    return dict(load_mappings(mappings_file).dispositions.grades)
