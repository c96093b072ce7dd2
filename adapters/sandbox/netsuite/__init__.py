"""A local, protocol-faithful NetSuite SuiteTalk REST account (see app.create_netsuite_sandbox).

Modules: store (records, external-id pools, stock), seed (the shared catalog), transforms and
writes (the document rules), status (derived statuses), render (REST JSON), suiteql (known
query shapes), tba (OAuth 1.0a verification, login audit), middleware (governance, lost answers,
auth), api and controls (routes), account (one account's state and reset).
"""

from .app import create_netsuite_sandbox
from .control_client import NetSuiteSandboxControl

__all__ = ["NetSuiteSandboxControl", "create_netsuite_sandbox"]
