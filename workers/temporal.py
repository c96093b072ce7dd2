"""One way to reach Temporal: the pydantic converter everywhere, search attributes registered."""

from __future__ import annotations

from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import TLSConfig

from workers.metrics import temporal_runtime
from workers.settings import Settings
from workers.telemetry import client_interceptors
from workflows import search

_INDEXED: dict[str, IndexedValueType.ValueType] = {
    "KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "KEYWORD_LIST": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    "BOOL": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    "DATETIME": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "TEXT": IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
    "INT": IndexedValueType.INDEXED_VALUE_TYPE_INT,
    "FLOAT": IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
}


async def connect(settings: Settings, lazy: bool = False, service: bool = False) -> Client:
    """Tracing interceptors join when telemetry is configured. A lazy client connects on first
    use, so a process that can work without Temporal starts anyway. Only a long-running
    `service` exports the SDK's metrics on RETURNFLOW_TEMPORAL_METRICS_PORT: a one-off command
    (setup, status, ...) run beside a worker with the same settings must not take its port."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        tls=tls_config(settings),
        api_key=settings.temporal_api_key.get_secret_value() or None,
        interceptors=client_interceptors(),
        runtime=temporal_runtime(settings) if service else None,
        lazy=lazy,
    )


def tls_config(settings: Settings) -> TLSConfig | bool:
    """mTLS with client cert/key (self-hosted or Temporal Cloud), server CA for a private CA;
    an API key alone means TLS with the system's roots (Temporal Cloud)."""
    paths = (
        settings.temporal_tls_client_cert,
        settings.temporal_tls_client_key,
        settings.temporal_tls_server_ca,
    )
    if not any(paths) and not settings.temporal_tls_server_name:
        return settings.temporal_tls or bool(settings.temporal_api_key.get_secret_value())
    if bool(settings.temporal_tls_client_cert) != bool(settings.temporal_tls_client_key):
        raise ValueError("set both RETURNFLOW_TEMPORAL_TLS_CLIENT_CERT and _CLIENT_KEY, or neither")
    cert, key, ca = (p.read_bytes() if p else None for p in paths)
    return TLSConfig(
        server_root_ca_cert=ca,
        domain=settings.temporal_tls_server_name,
        client_cert=cert,
        client_private_key=key,
    )


DEV_SQLITE_PRAGMAS = ("journal_mode=wal", "synchronous=normal")


def dev_persistence_flags(db: Path) -> list[str]:
    """`--db-filename` with a write-ahead log, synced at checkpoints rather than every commit.

    The dev server's SQLite otherwise runs a rollback journal with a full sync on every
    commit: parking returns went from 13.8/s to 19.5/s on 2 cores without that. A killed
    server loses nothing in WAL mode at synchronous=normal; only a power cut can drop the
    last commits. That is fine for the embedded stack; a deployment runs its own cluster.
    """
    flags = ["--db-filename", str(db)]
    for pragma in DEV_SQLITE_PRAGMAS:
        flags += ["--sqlite-pragma", pragma]
    return flags


def dev_files(db: Path) -> list[Path]:
    """A SQLite DB and the write-ahead log and shared-memory index SQLite keeps beside it."""
    return [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]


def dev_server_flags() -> list[str]:
    """`temporal server start-dev --search-attribute Name=Type` flags for our attributes."""
    names = {
        "KEYWORD": "Keyword",
        "KEYWORD_LIST": "KeywordList",
        "BOOL": "Bool",
        "DATETIME": "Datetime",
        "TEXT": "Text",
        "INT": "Int",
        "FLOAT": "Double",
    }
    flags: list[str] = []
    for key in search.ALL:
        flags += ["--search-attribute", f"{key.name}={names[_kind(key)]}"]
    return flags


def _kind(key: SearchAttributeKey) -> str:
    return key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_").replace(
        "DOUBLE", "FLOAT"
    )


async def register_search_attributes(client: Client, namespace: str) -> list[str]:
    """Add whichever of our search attributes the namespace lacks; returns the names added."""
    existing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    have = set(existing.custom_attributes) | set(existing.system_attributes)
    missing = {k.name: _INDEXED[_kind(k)] for k in search.ALL if k.name not in have}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    return sorted(missing)
