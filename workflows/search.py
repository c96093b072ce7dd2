"""Search attributes a return publishes, so stuck returns and breaches show in the Temporal UI.

Values are never personal data (they are not encrypted): states, kinds, teams, flags, times.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

RETURN_STATE = SearchAttributeKey.for_keyword("ReturnState")
OPEN_EXCEPTION_KINDS = SearchAttributeKey.for_keyword_list("OpenExceptionKinds")
OWNER_TEAM = SearchAttributeKey.for_keyword("OwnerTeam")
SLA_BREACHED = SearchAttributeKey.for_bool("SlaBreached")
STUCK_SINCE = SearchAttributeKey.for_datetime("StuckSince")
ERP_SYSTEM = SearchAttributeKey.for_keyword("ErpSystem")

ALL = (RETURN_STATE, OPEN_EXCEPTION_KINDS, OWNER_TEAM, SLA_BREACHED, STUCK_SINCE, ERP_SYSTEM)
