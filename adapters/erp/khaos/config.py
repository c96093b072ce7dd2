"""How one Khaos system is set up: what it calls things, and how we post to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from workflows.model import Disposition

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

    def reason(self, loop_reason: str | None) -> str:
        return self.reasons.get(loop_reason or "", self.return_reason)

    def location(self, name: str) -> str:
        return self.locations.get(name, name)
