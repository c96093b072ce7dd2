"""Master data: the mapping file's tables and the look-ups activities make through them.

One TOML file (workers/mappings.py loads it and points errors at their line) holds SKU
rules (aliases, variants, bundles), locations and return nodes, reason codes, disposition codes
and payment methods. A value the tables lack raises a typed error with its kind and value, which
activities turn into an UnmappedCode / UnmappedLocation failure: an exception a person resolves
by adding the mapping, never a generic default.

It lives beside the activities (not in workers/) because activities call these look-ups and may
not import the composition root.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from adapters.errors import UnmappedCodeError, UnmappedLocationError
from workflows.bundles import BundleRule
from workflows.model import Disposition, ReturnLine, ReturnRequest

K = TypeVar("K")
V = TypeVar("V")
LOOP_DISPOSITIONS = ("back_to_stock", "resale_hold", "recycle", "donate", "missing")


class NodeKind(StrEnum):
    WAREHOUSE = "warehouse"
    THIRD_PARTY = "3pl"
    STORE = "store"


class ReturnNode(BaseModel):
    """Where parcels go (a Loop destination): its ERP receiving location."""

    model_config = ConfigDict(extra="forbid")

    id: str  # Loop destination id or name
    kind: NodeKind
    erp_location: str
    name: str | None = None


class VariantRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variant_id: str
    sku: str


class SkuRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    aliases: dict[str, str] = Field(default_factory=dict)  # storefront SKU -> ERP SKU
    variants: list[VariantRule] = Field(default_factory=list)  # variant id -> SKU
    items: dict[str, str] = Field(default_factory=dict)  # SKU -> ERP item id (pinned)


class DispositionCodes(BaseModel):
    model_config = ConfigDict(extra="forbid")

    loop: dict[str, Disposition] = Field(default_factory=dict)  # Loop outcome -> ours
    grades: dict[str, Disposition] = Field(default_factory=dict)  # inspection grade -> ours
    outbound: dict[Disposition, str] = Field(default_factory=dict)  # ours -> what Loop is told

    @model_validator(mode="after")
    def _loop_vocabulary(self) -> DispositionCodes:
        for name, table in (("loop", self.loop.keys()), ("outbound", self.outbound.values())):
            unknown = sorted(set(table) - set(LOOP_DISPOSITIONS))
            if unknown:
                raise ValueError(
                    f"dispositions.{name}: {unknown} are not Loop disposition outcomes "
                    f"{list(LOOP_DISPOSITIONS)}"
                )
        missing = [d.value for d in Disposition if self.outbound and d not in self.outbound]
        if missing:  # Loop must be told every outcome: a partial table would drop some
            raise ValueError(f"dispositions.outbound: no Loop outcome for {missing}")
        return self


class MasterData(BaseModel):
    """The mapping file, validated."""

    model_config = ConfigDict(extra="forbid")

    version: int = 1
    erp_system: str = "netsuite"
    skus: SkuRules = Field(default_factory=SkuRules)
    bundles: list[BundleRule] = Field(default_factory=list)
    locations: dict[str, str] = Field(default_factory=dict)  # symbolic name -> ERP location
    return_nodes: list[ReturnNode] = Field(default_factory=list)
    reasons: dict[str, str] = Field(default_factory=dict)  # Loop reason text -> reason code
    dispositions: DispositionCodes = Field(default_factory=DispositionCodes)
    payment_methods: dict[str, str] = Field(default_factory=dict)  # gateway -> ERP method id

    @model_validator(mode="after")
    def _unique(self) -> MasterData:
        for what, keys in (
            ("bundles", [b.sku for b in self.bundles]),
            ("return_nodes", [n.id for n in self.return_nodes]),
            ("skus.variants", [v.variant_id for v in self.skus.variants]),
        ):
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            if dupes:
                raise ValueError(f"{what}: duplicate entries {dupes}")
        return self

    # --- SKUs -------------------------------------------------------------------------------

    def sku_of(self, line: ReturnLine) -> str:
        """The ERP SKU for a Loop line: variant rule first (Loop's SKU may be blank), then alias."""
        variants = {v.variant_id: v.sku for v in self.skus.variants}
        sku = variants.get(line.variant_id or "", line.sku)
        return self.skus.aliases.get(sku, sku)

    def normalize(self, request: ReturnRequest) -> ReturnRequest:
        lines = [line.model_copy(update={"sku": self.sku_of(line)}) for line in request.lines]
        return request.model_copy(update={"lines": lines})

    def bundle(self, sku: str) -> BundleRule | None:
        return next((b for b in self.bundles if b.sku == sku), None)

    # --- codes (each raises UnmappedCodeError when the table lacks the value) ----------------

    def reason(self, loop_reason: str) -> str:
        return _code(self.reasons, loop_reason, "reason")

    def reason_codes(self, request: ReturnRequest) -> dict[str, str]:
        """Loop line_item_id -> reason code (child reason first, then parent). Without a
        [reasons] table nothing is checked; with one, a reason it lacks is UnmappedCode."""
        if not self.reasons:
            return {}
        codes: dict[str, str] = {}
        for line in request.lines:
            given = [r for r in (line.reason, line.parent_reason) if r]
            if given:
                known = next((r for r in given if r in self.reasons), given[0])
                codes[line.line_item_id] = self.reason(known)
        return codes

    def loop_disposition(self, outcome: str) -> Disposition:
        return _code(self.dispositions.loop, outcome, "disposition")

    def grade(self, grade: str) -> Disposition:
        return _code(self.dispositions.grades, grade, "grade")

    def outbound_disposition(self, disposition: Disposition) -> str:
        return _code(self.dispositions.outbound, disposition, "disposition")

    def payment_method(self, gateway: str) -> str:
        return _code(self.payment_methods, gateway, "payment_method")

    # --- places (UnmappedLocationError) -----------------------------------------------------

    def location(self, name: str) -> str:
        if name not in self.locations:
            raise UnmappedLocationError(
                f"location {name!r} has no ERP location in the mapping file",
                kind="location",
                value=name,
            )
        return self.locations[name]

    def return_node(self, node_id: str) -> ReturnNode:
        node = next((n for n in self.return_nodes if n.id == node_id), None)
        if node is None:
            raise UnmappedLocationError(
                f"return node {node_id!r} (warehouse, 3PL or store) is not in the mapping file",
                kind="return_node",
                value=node_id,
            )
        return node


def _code(table: dict[K, V], value: K, kind: str) -> V:
    if value not in table:
        raise UnmappedCodeError(
            f"{kind} {value!r} has no mapping (add it to the mapping file)",
            kind=kind,
            value=str(value),
        )
    return table[value]
