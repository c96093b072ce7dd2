"""How settings become the Temporal connection's TLS: off, system roots, or mTLS from files."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from temporalio.service import TLSConfig

from workers.settings import Settings
from workers.temporal import tls_config


def test_plain_by_default_and_tls_with_an_api_key() -> None:
    assert tls_config(Settings()) is False
    assert tls_config(Settings(temporal_tls=True)) is True
    assert tls_config(Settings(temporal_api_key=SecretStr("cloud-key"))) is True


def test_mtls_reads_the_pem_files(tmp_path: Path) -> None:
    cert, key, ca = (tmp_path / n for n in ("client.pem", "client.key", "ca.pem"))
    for path in (cert, key, ca):
        path.write_bytes(f"PEM of {path.name}".encode())
    config = tls_config(
        Settings(
            temporal_tls_client_cert=cert,
            temporal_tls_client_key=key,
            temporal_tls_server_ca=ca,
            temporal_tls_server_name="ns.acct.tmprl.cloud",
        )
    )
    assert isinstance(config, TLSConfig)
    assert config.client_cert == b"PEM of client.pem"
    assert config.client_private_key == b"PEM of client.key"
    assert config.server_root_ca_cert == b"PEM of ca.pem"
    assert config.domain == "ns.acct.tmprl.cloud"


def test_a_certificate_without_its_key_is_refused(tmp_path: Path) -> None:
    cert = tmp_path / "client.pem"
    cert.write_text("PEM")
    with pytest.raises(ValueError, match="CLIENT_KEY"):
        tls_config(Settings(temporal_tls_client_cert=cert))
