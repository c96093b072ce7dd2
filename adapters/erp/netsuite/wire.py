"""NetSuite's JSON on the wire and the fixed parts of its REST paths.

Money must stay Decimal end to end: `loads` reads JSON numbers as Decimal and `dumps` writes
Decimal as a JSON number exactly as held (the stdlib encoder would need a float on the way).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

RECORD_PATH = "/services/rest/record/v1"
SUITEQL_PATH = "/services/rest/query/v1/suiteql"
GOVERNANCE_PATH = "/services/rest/system/v1/governanceLimits"

PROPERTY_NAME_VALIDATION = "X-NetSuite-PropertyNameValidation"


def default_base_url(account_id: str) -> str:
    """The account's REST host: `123456_SB1` -> `https://123456-sb1.suitetalk.api.netsuite.com`."""
    return f"https://{account_id.lower().replace('_', '-')}.suitetalk.api.netsuite.com"


def record_path(record_type: str, record_id: str | None = None) -> str:
    return f"{RECORD_PATH}/{record_type}" + (f"/{record_id}" if record_id is not None else "")


def transform_path(from_type: str, from_id: str, to_type: str) -> str:
    return f"{record_path(from_type, from_id)}/!transform/{to_type}"


def loads(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal)


def dumps(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value)


def decimal(value: Any) -> Decimal:
    """A NetSuite number (JSON number or numeric string) as Decimal, never via float."""
    return value if isinstance(value, Decimal) else Decimal(str(value))
