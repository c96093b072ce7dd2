"""An ERP's own return-status words read as ErpReturnState, the same way for every ERP."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from workflows.model import ErpReturnState

log = logging.getLogger(__name__)


def state_of(
    system: str, status: str, states: Mapping[str, ErpReturnState], return_id: str
) -> ErpReturnState | None:
    """The mapped state, or None for a status nobody mapped: never guessed, and logged with
    the setting to extend, so one odd return does not stop the status sweep for the rest."""
    state = states.get(status)
    if state is None:
        log.warning(
            "%s return status %r of return %s has no state: add it to return_states; "
            "the status sweep leaves this return out until then",
            system,
            status,
            return_id,
        )
    return state
