"""Runtime configuration: RETURNFLOW_* environment variables (secrets, endpoints, policy).

Secrets are SecretStr so they never print in a repr or a log line.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from workflows.model import GateSlas, ReturnConfig


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
    erp_max_concurrency: int = 4

    # ingress
    ingress_host: str = "127.0.0.1"
    ingress_port: int = 8000

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

    def webhook_secrets(self) -> list[str]:
        raw = self.loop_webhook_secrets.get_secret_value()
        return [s.strip() for s in raw.split(",") if s.strip()]

    def return_config(self) -> ReturnConfig:
        return ReturnConfig(
            erp_system=self.erp_system,
            auto_approve_below=self.auto_approve_below,
            amount_tolerance=self.amount_tolerance,
            holding_location_id=self.netsuite_holding_location_id,
            finance_approvers=self.finance_approvers,
            finance_group_above=self.finance_group_above,
            erp_retry_initial=self.erp_retry_initial,
            erp_max_attempts=self.erp_max_attempts,
            slas=GateSlas(
                receipt=self.sla_receipt,
                inspection=self.sla_inspection,
                approval=self.sla_approval,
                exception=self.sla_exception,
            ),
        )
