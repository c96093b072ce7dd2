"""A local Prima web service handler (see app.create_prima_sandbox).

Modules: state (style/colour/size products, depots, reasons, seeded from the catalog);
operations (what the request types share), reads, returns, credits, orders (the request types
by subject), handler (all of them by name, and the answer shape); app (the service and its
controls); control_client.
"""

from .app import create_prima_sandbox, soap_path
from .control_client import PrimaSandboxControl
from .state import item_key, matrix

__all__ = ["PrimaSandboxControl", "create_prima_sandbox", "item_key", "matrix", "soap_path"]
