"""How one Prima company is set up: the SKU -> style/colour/size mapping file, reasons, depots.

The mapping file is TOML, kept with the other mapping tables:

    [prima.items]
    "TEE-BLK-M" = ["TEE", "BLK", "M"]     # style, colour, size
    [prima.reasons]
    "Damaged or defective" = "FAULTY"      # Loop reason -> Prima reason (which picks the depot)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from workflows.model import Disposition, ErpReturnState

Matrix = tuple[str, str, str]


def item_id(matrix: Matrix) -> str:
    """Our id for a Prima item: STYLE/COLOUR/SIZE."""
    return "/".join(matrix)


def matrix_of(item: str) -> Matrix:
    product, colour, size = [*item.split("/", 2), "", ""][:3]
    return product, colour, size


@dataclass(frozen=True)
class PrimaConfig:
    items: dict[str, Matrix] = field(default_factory=dict)  # SKU -> (style, colour, size)
    reasons: dict[str, str] = field(default_factory=dict)  # Loop reason -> Prima reason code
    default_reason: str = "UNWANTED"  # lands in the resale returns depot
    # symbolic locations and disposition targets -> Prima depots
    depots: dict[str, str] = field(default_factory=lambda: {"sellable": "MAIN", "refurb": "REFURB"})
    disposition_depots: dict[Disposition, str] = field(
        default_factory=lambda: {
            Disposition.RESTOCK: "MAIN",
            Disposition.REFURBISH: "REFURB",
            Disposition.SCRAP: "SCRAP",
            Disposition.RETURN_TO_VENDOR: "RTV",
        }
    )
    order_channel: str = "WEB"
    warehouse: str = "MAIN"
    company: str | None = None  # set: calls go through comwsomhandler with this company id
    status_batch_size: int = 50  # ReturnRefs per MultiReturnStatus request
    # the sales return's attributes that hold it for review and say why (booleans Yes/No)
    review_flag: str = "OnHold"
    review_note: str | None = "HoldReason"
    # the sales return's Prima status -> where it stands; one not listed is logged, left out
    return_states: dict[str, ErpReturnState] = field(
        default_factory=lambda: {
            "Open": ErpReturnState.OPEN,
            "Received": ErpReturnState.RECEIVED,
            "Completed": ErpReturnState.CREDITED,  # its sales credit is raised
            "Closed": ErpReturnState.CLOSED,
            "Cancelled": ErpReturnState.CANCELLED,
        }
    )

    def reason(self, loop_reason: str | None) -> str:
        return self.reasons.get(loop_reason or "", self.default_reason)

    def sku_of(self, item: str) -> str:
        return next((sku for sku, m in self.items.items() if item_id(m) == item), "")

    @classmethod
    def from_file(cls, path: str | Path) -> PrimaConfig:
        table = tomllib.loads(Path(path).read_text()).get("prima", {})
        items = {
            sku: (str(v[0]), str(v[1]), str(v[2])) for sku, v in table.get("items", {}).items()
        }
        reasons = {k: str(v) for k, v in table.get("reasons", {}).items()}
        return cls(items=items, reasons=reasons)


def write_mapping(path: str | Path, items: dict[str, Matrix], reasons: dict[str, str]) -> None:
    """Write a mapping file (the dev stack derives one from its catalog)."""

    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["[prima.items]"]
    lines += [f"{quoted(sku)} = [{', '.join(map(quoted, m))}]" for sku, m in items.items()]
    lines += ["", "[prima.reasons]"]
    lines += [f"{quoted(k)} = {quoted(v)}" for k, v in reasons.items()]
    Path(path).write_text("\n".join(lines) + "\n")
