"""Khaos Control (desktop IKosWeb SOAP) behind the ErpAdapter protocol.

Modules: config (mapping type, reasons, locations, posting mode), errors (faults and import
row errors -> typed errors), documents (XML answers -> our types), batcher (credit notes posted
in batches, each caller awaiting its own row), adapter (the protocol).
"""

from .adapter import KhaosAdapter
from .config import KhaosConfig

__all__ = ["KhaosAdapter", "KhaosConfig"]
