"""find_document and iter_documents over an ERP's paged list of documents.

Khaos and Prima both list documents by type, reference and creation window, a page at a time,
and keep several of our kinds under one of their types (stock adjustments, credit payments), so
each row's own kind is checked. An adapter supplies the paging call and the row readers.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from workflows.model import Disposition, ErpDocument, ErpDocumentKind, ErpLedgerEntry

# the document kind a disposition posts, whatever the ERP calls the stock movement
DISPOSITION_KINDS: dict[Disposition, ErpDocumentKind] = {
    Disposition.RESTOCK: ErpDocumentKind.INVENTORY_TRANSFER,
    Disposition.REFURBISH: ErpDocumentKind.INVENTORY_TRANSFER,
    Disposition.SCRAP: ErpDocumentKind.INVENTORY_ADJUSTMENT,
    Disposition.RETURN_TO_VENDOR: ErpDocumentKind.VENDOR_RETURN,
}


class DocumentListing(ABC):
    @abstractmethod
    def _rows(
        self,
        kind: ErpDocumentKind,
        *,
        ref: str = "",
        code: str = "",
        since: str = "",
        until: str = "",
    ) -> AsyncIterator[ET.Element]:
        """Every listed row of the ERP type that holds `kind`, following pages."""

    @abstractmethod
    def _kind_of(self, row: ET.Element) -> ErpDocumentKind: ...

    @abstractmethod
    def _document(self, row: ET.Element, kind: ErpDocumentKind) -> ErpDocument: ...

    @abstractmethod
    def _entry(self, row: ET.Element, kind: ErpDocumentKind) -> ErpLedgerEntry: ...

    def _in_ledger(self, row: ET.Element, kind: ErpDocumentKind) -> bool:
        """Whether the row is a posted document (drafts are not, for reconciliation)."""
        return True

    async def _find(
        self, kind: ErpDocumentKind, *, ref: str = "", code: str = ""
    ) -> ET.Element | None:
        async for row in self._rows(kind, ref=ref, code=code):
            if self._kind_of(row) is kind:
                return row
        return None

    async def find_document(self, kind: str, external_id: str) -> ErpDocument | None:
        doc_kind = ErpDocumentKind(kind)
        row = await self._find(doc_kind, ref=external_id)
        return None if row is None else self._document(row, doc_kind)

    async def iter_documents(
        self, kind: ErpDocumentKind, since: datetime, until: datetime
    ) -> AsyncIterator[ErpLedgerEntry]:
        rows = self._rows(
            kind, since=since.astimezone(UTC).isoformat(), until=until.astimezone(UTC).isoformat()
        )
        async for row in rows:
            if self._kind_of(row) is kind and self._in_ledger(row, kind):
                yield self._entry(row, kind)
