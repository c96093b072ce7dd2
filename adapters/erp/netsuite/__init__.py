"""NetSuite (SuiteTalk REST) behind the ErpAdapter protocol.

Modules: auth (TBA signing), oauth2 (OAuth 2.0 client credentials), channel (HTTP: signing
per attempt, concurrency cap, retries), errors (error body -> typed errors), rest (records,
SuiteQL, create-once), queries (SuiteQL texts), mapping (records <-> returnflow types),
adapter (the protocol), wire (JSON, paths).
"""

from .adapter import NetSuiteAdapter
from .auth import RequestSigner, TokenBasedAuth
from .oauth2 import ClientCredentialsAuth, OAuth2Credentials
from .wire import default_base_url

__all__ = [
    "ClientCredentialsAuth",
    "NetSuiteAdapter",
    "OAuth2Credentials",
    "RequestSigner",
    "TokenBasedAuth",
    "default_base_url",
]
