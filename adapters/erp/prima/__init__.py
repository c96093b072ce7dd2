"""Prima (OpenEdge web service handler, one XML request string) behind the ErpAdapter protocol.

Modules: config (the SKU -> style/colour/size mapping file, reasons, depots), errors
(RequestError -> typed errors), documents (replies -> our types), adapter (the protocol).
"""

from .adapter import PrimaAdapter
from .config import PrimaConfig, write_mapping

__all__ = ["PrimaAdapter", "PrimaConfig", "write_mapping"]
