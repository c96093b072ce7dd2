"""`returnflow dev`: start the embedded stack, run the demo, say where to look, wait for Ctrl-C."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from rich.console import Console
from rich.panel import Panel

from workers import demo as demo_returns
from workers.dev import DevStack, dev_stack


def where_to_look(stack: DevStack) -> str:
    waiting = demo_returns.DEMO[1].return_id
    address = stack.settings.temporal_address
    return "\n".join(
        [
            f"Temporal UI     {stack.ui_url}/namespaces/default/workflows",
            f"Temporal        {address}",
            f"Ingress         {stack.ingress_url}/webhooks/loop",
            f"Ingress health  {stack.ingress_url}/healthz",
            f"Loop sandbox    {stack.loop_url}/_sandbox/records",
            f"NetSuite sandbox {stack.netsuite_url}/_sandbox/records",
            *(
                [f"{stack.erp.title()} sandbox {stack.erp_url}/_sandbox/records (the ERP in use)"]
                if stack.erp != "netsuite"
                else []
            ),
            "",
            f"Approve the waiting refund (return-{waiting}) with the temporal CLI:",
            f"  .venv/bin/temporal workflow update execute --address {address} \\",
            f"    --workflow-id return-{waiting} --name approve_refund \\",
            '    --input \'{"approver": "you@finance.example", "note": "checked"}\'',
            "or: .venv/bin/returnflow approve " + waiting + " --as you@finance.example",
            "(export RETURNFLOW_TEMPORAL_ADDRESS=" + address + " for the returnflow CLI)",
        ]
    )


async def _main(
    demo: bool, port: int, ui_port: int, data_dir: Path, console: Console, erp: str = "netsuite"
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    console.print("starting Temporal dev server, sandboxes, worker and ingress…")
    async with dev_stack(data_dir, port, ui_port, erp=erp) as stack:
        if demo:
            console.print("pushing demo returns through Loop → ingress → workflow → NetSuite…")
            await demo_returns.create_returns(stack.loop_url)
            try:
                await demo_returns.drive(stack.client, stack.loop_url)
            except TimeoutError as err:  # show what happened; the stack stays up to look at it
                console.print(f"[yellow]demo did not finish as scripted:[/yellow] {err}")
            demo_returns.render(await demo_returns.summary(stack.client), console)
        console.print(Panel(where_to_look(stack), title="returnflow dev stack is up"))
        console.print("Ctrl-C stops everything.")
        await stop.wait()
        console.print("stopping…")


def main(
    demo: bool, port: int, ui_port: int, data_dir: Path, console: Console, erp: str = "netsuite"
) -> None:
    asyncio.run(_main(demo, port, ui_port, data_dir, console, erp))
