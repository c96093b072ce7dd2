"""The ERP sandboxes `returnflow dev --erp` can run, and the settings that point a worker at one.

NetSuite stays where it was (workers/dev.py); Khaos and Prima are served here with dev
credentials, and Prima gets a mapping file derived from the catalog, as an implementation would
write it once from the product master.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import SecretStr

from adapters.erp.prima import write_mapping
from adapters.sandbox.catalog import Catalog
from adapters.sandbox.khaos import create_khaos_sandbox
from adapters.sandbox.prima import create_prima_sandbox, matrix
from adapters.sandbox.server import ServedApp

ERPS = ("netsuite", "khaos", "prima")
DEV_KHAOS_USER, DEV_KHAOS_PASSWORD = "dev-khaos-user", "dev-khaos-password"


def erp_sandbox(erp: str, catalog: Catalog) -> ServedApp:
    """The Khaos or Prima sandbox, ready to serve on loopback (`start()` or `with`)."""
    if erp == "khaos":
        app = create_khaos_sandbox(catalog, username=DEV_KHAOS_USER, password=DEV_KHAOS_PASSWORD)
    elif erp == "prima":
        app = create_prima_sandbox(catalog)
    else:
        raise ValueError(f"no dev sandbox for ERP {erp!r} here (one of {', '.join(ERPS[1:])})")
    return ServedApp(app, name=f"{erp}-sandbox")


def serve_erp(erp: str, catalog: Catalog) -> ServedApp:
    """Start the Khaos or Prima sandbox on loopback."""
    return erp_sandbox(erp, catalog).start()


def erp_settings(erp: str, url: str, catalog: Catalog, data_dir: Path) -> dict[str, Any]:
    """Settings overrides that aim the worker at the `erp` sandbox at `url`."""
    if erp == "khaos":
        return {
            "erp_system": "khaos",
            "khaos_base_url": url,
            "khaos_username": SecretStr(DEV_KHAOS_USER),
            "khaos_password": SecretStr(DEV_KHAOS_PASSWORD),
        }
    if erp == "prima":
        data_dir.mkdir(parents=True, exist_ok=True)
        mapping = data_dir / "prima-mappings.toml"
        write_mapping(mapping, {sku: matrix(sku) for sku in catalog.items}, {})
        return {"erp_system": "prima", "prima_base_url": url, "prima_mapping_file": str(mapping)}
    raise ValueError(f"unknown ERP {erp!r} (one of {', '.join(ERPS)})")
