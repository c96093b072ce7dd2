"""Loop activities: tell Loop what happened; read a return when a webhook carried no payload."""

from __future__ import annotations

from temporalio import activity

from activities.failures import typed_failures
from adapters.loop.client import LoopClient
from workflows.contracts import Act, DispositionReport, LoopAction, LoopActionInput, NoteInput
from workflows.model import Disposition, ReturnRequest

# Loop's disposition_outcome vocabulary; a brand may map these differently through config.
DEFAULT_LOOP_DISPOSITIONS: dict[Disposition, str] = {
    Disposition.RESTOCK: "back_to_stock",
    Disposition.REFURBISH: "resale_hold",
    Disposition.SCRAP: "recycle",
    Disposition.RETURN_TO_VENDOR: "resale_hold",
}


class LoopActivities:
    def __init__(
        self, client: LoopClient, dispositions: dict[Disposition, str] | None = None
    ) -> None:
        self.client = client
        self.dispositions = dispositions or DEFAULT_LOOP_DISPOSITIONS

    @activity.defn(name=Act.LOOP_FETCH)
    @typed_failures()
    async def fetch_return(self, return_id: str) -> ReturnRequest:
        return await self.client.get_return(return_id)

    @activity.defn(name=Act.LOOP_ACTION)
    @typed_failures()
    async def return_action(self, inp: LoopActionInput) -> bool:
        """True when Loop queued the action; False when Loop says it was already done."""
        if inp.action is LoopAction.PROCESS:
            return await self.client.process_return(inp.return_id, inp.details or None)
        if inp.action is LoopAction.CLOSE:
            return await self.client.close_return(inp.return_id)
        if inp.action is LoopAction.CANCEL:
            return await self.client.cancel_return(inp.return_id)
        return await self.client.flag_return(inp.return_id)

    @activity.defn(name=Act.LOOP_NOTE)
    @typed_failures()
    async def add_note(self, inp: NoteInput) -> None:
        await self.client.add_note(inp.return_id, inp.content[:255])

    @activity.defn(name=Act.LOOP_DISPOSITIONS)
    @typed_failures()
    async def assess_dispositions(self, report: DispositionReport) -> None:
        items = [
            {
                "line_item_id": int(line.line_item_id)
                if line.line_item_id.isdigit()
                else line.line_item_id,
                "disposition_outcome": self.dispositions[line.disposition],
                "return_processor": report.actor[:100],
                "note": line.note or f"returnflow: {line.disposition.value}",
                "inspected_at": report.inspected_at.strftime("%Y-%m-%d %H:%M:%S"),
            }
            for line in report.lines
        ]
        await self.client.assess_dispositions(items)

    def all(self) -> list:
        return [self.fetch_return, self.return_action, self.add_note, self.assess_dispositions]
