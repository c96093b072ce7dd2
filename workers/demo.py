"""Demo returns pushed through a running stack, each stopping where a person would look.

One closes on auto-approval, one waits at the approval gate, one is in transit, one is a
keep-item refund, one carries a SKU the ERP does not know and waits in the exception queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table
from temporalio.client import Client

from adapters.sandbox.loop import LoopSandboxControl
from workers import ops
from workflows.model import ReturnStatus


@dataclass(frozen=True)
class DemoReturn:
    return_id: str
    order_name: str
    outcome: str
    story: str
    extra: dict[str, Any] | None = None


DEMO = [
    DemoReturn(
        "1673",
        "#1001",
        "refund",
        "received, inspected, auto-approved, refunded, closed",
        {"skus": ["TEE-BLK-M"]},
    ),
    DemoReturn("1674", "#1002", "refund", "high value: waits for finance at the approval gate"),
    DemoReturn("1675", "#1003", "refund", "label in transit: waits at the receipt gate"),
    DemoReturn(
        "1676",
        "#1001",
        "keep_item",
        "keep-item refund: money moves, no goods come back",
        {"skus": ["SCF-RED-OS"]},
    ),
    DemoReturn(
        "1677",
        "#1006",
        "refund",
        "unknown SKU: an ops exception waits for a person",
        {"extra_lines": [{"sku": "TEE-PNK-XS", "price": "25.00", "tax": "5.00"}]},
    ),
]


async def create_returns(loop_url: str) -> None:
    async with LoopSandboxControl(loop_url) as loop:
        for demo in DEMO:
            await loop.create_return(
                demo.order_name,
                outcome=demo.outcome,
                return_id=demo.return_id,
                reason="Item didn't fit",
                **(demo.extra or {}),
            )


async def drive(client: Client, loop_url: str) -> None:
    """Move each demo return as far as its story goes."""
    warehouse = "warehouse@demo.returnflow"
    first, big, transit = DEMO[0].return_id, DEMO[1].return_id, DEMO[2].return_id
    for rid in (first, big):
        await ops.wait_for_state(client, rid, {"authorized"})
        await ops.receive(client, rid, warehouse)
        await ops.inspect(client, rid, warehouse)
    async with LoopSandboxControl(loop_url) as loop:
        await ops.wait_for_state(client, transit, {"authorized"})
        await loop.label(transit, "in_transit")
    await ops.wait_for_state(client, first, {"closed"})
    await ops.wait_for_state(client, big, {"awaiting_approval"})
    await ops.wait_for_state(client, transit, {"in_transit"})
    await ops.wait_for_state(client, DEMO[3].return_id, {"closed"})
    await ops.wait_for_state(client, DEMO[4].return_id, set(), blocked_ok=True)


async def summary(client: Client) -> list[tuple[DemoReturn, ReturnStatus]]:
    return [(demo, await ops.status(client, demo.return_id)) for demo in DEMO]


def render(rows: list[tuple[DemoReturn, ReturnStatus]], console: Console) -> None:
    table = Table(title="demo returns")
    for col in ("workflow", "state", "ERP documents", "refund (ERP)", "open exceptions", "story"):
        table.add_column(col, no_wrap=col in {"workflow", "state"})
    for demo, st in rows:
        docs = ", ".join(v.external_id for v in st.erp_documents.values())
        exceptions = ", ".join(
            f"{c.id} {c.kind.value} → {c.owner.value}" for c in st.open_exceptions
        )
        table.add_row(
            f"return-{demo.return_id}",
            st.state + (" (blocked)" if st.blocked else ""),
            docs or "-",
            str(st.erp_refund_amount or "-"),
            exceptions or "-",
            demo.story,
        )
    console.print(table)
