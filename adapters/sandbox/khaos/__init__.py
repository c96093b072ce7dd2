"""A local Khaos Control IKosWeb SOAP service (see app.create_khaos_sandbox).

Modules: state (stock items, orders, reasons, seeded from the catalog); operations (what the
methods share), exports, returns, credits, stock (the methods by subject), ikosweb (all of
them by name); app (the service and its controls); control_client.
"""

from .app import create_khaos_sandbox, soap_path
from .control_client import KhaosSandboxControl

__all__ = ["KhaosSandboxControl", "create_khaos_sandbox", "soap_path"]
