"""How one Khaos system is set up: what it calls things, and how we post to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from workflows.model import Disposition, ErpReturnState

# MAPPING_TYPE values IKosWeb understands
AUTOMATIC, STOCK_CODE, OTHER_REF, BARCODE = -1, 1, 2, 5


@dataclass(frozen=True)
class KhaosConfig:
    # how the shop's SKUs are found: 2 = Other Ref (where channel imports keep the SKU)
    mapping_type: int = OTHER_REF
    # the reason our returns are raised with: its processing type decides where received stock
    # lands. Quarantine keeps it unsellable until inspection moves it.
    return_reason: str = "QUAR"
    # Loop reason -> Khaos return reason, for reasons that should be routed differently
    reasons: dict[str, str] = field(default_factory=dict)
    site_id: str = "1"
    sales_source: str = "WEB"  # exchange orders import through the web channel
    # the workflow's symbolic locations -> Khaos warehouse locations
    locations: dict[str, str] = field(
        default_factory=lambda: {
            "holding": "QUARANTINE",
            "sellable": "MAIN",
            "refurb": "REFURB",
        }
    )
    adjustment_reasons: dict[Disposition, str] = field(
        default_factory=lambda: {
            Disposition.RESTOCK: "RESTOCK",
            Disposition.REFURBISH: "REFURBISH",
            Disposition.SCRAP: "DAMAGED",
            Disposition.RETURN_TO_VENDOR: "RTV",
        }
    )
    # realtime: one ImportCreditNotes per credit; batched: collected for a short window
    posting: Literal["realtime", "batched"] = "realtime"
    batch_window_seconds: float = 0.25
    batch_size: int = 50
    # Khaos has no return-status push: a sweep reads each return by its ASSOCIATED_REF, this
    # many at once (a desktop service serves few requests together)
    status_concurrency: int = 4
    # the return's own fields that hold it for review and say why, named as this system has
    # them; a person ticks the same flag in the Returns screen
    review_flag: str = "ON_HOLD"
    review_note: str | None = "HOLD_REASON"
    # the return's Khaos status -> where it stands; one not listed is logged and left out
    return_states: dict[str, ErpReturnState] = field(
        default_factory=lambda: {
            "New": ErpReturnState.OPEN,
            "Part Received": ErpReturnState.RECEIVED,
            "Received": ErpReturnState.RECEIVED,
            "Processed": ErpReturnState.CREDITED,  # its credit note is made
            "Issued": ErpReturnState.CREDITED,  # and the refund recorded against it
            "Cancelled": ErpReturnState.CANCELLED,
        }
    )

    def reason(self, loop_reason: str | None) -> str:
        return self.reasons.get(loop_reason or "", self.return_reason)

    def location(self, name: str) -> str:
        return self.locations.get(name, name)
