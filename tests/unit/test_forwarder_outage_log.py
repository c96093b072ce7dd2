"""While Temporal refuses hand-overs, the forwarder says so once (and once a minute), not once per
queued event per retry; it says when Temporal takes them again; nothing queued is lost meanwhile."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.store import Store
from adapters.store.webhook_outbox import WebhookOutbox
from tests.harness import settings_for
from workers import ingress_forwarder
from workers.ingress_forwarder import Forwarder


class FlakyTemporal:
    """Stands in for the client: refuses every start while `down`, takes them otherwise."""

    def __init__(self) -> None:
        self.down = True
        self.taken: list[str] = []

    async def start_workflow(self, *_: Any, id: str, **__: Any) -> None:
        if self.down:
            raise ConnectionError("temporal unreachable")
        self.taken.append(id)


def queue(store: Store, n: int) -> None:
    for k in range(n):
        event = {"topic": "return", "trigger": "return.created", "return_id": f"r{k}"}
        event |= {"digest": f"d{k}", "received_at": datetime.now(UTC).isoformat()}
        store.record_webhook(
            f"w{k}",
            received_at=datetime.now(UTC),
            body=b"{}",
            status_code=202,
            accepted=True,
            signature_ok=True,
            return_id=f"r{k}",
            event=event,
        )


async def test_an_outage_is_one_warning_then_one_line_when_it_ends(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingress_forwarder, "RETRY_AFTER_S", 0.0)
    store = Store.from_url(f"sqlite:///{tmp_path / 'rf.db'}")
    store.create_all()
    queue(store, 30)
    temporal = FlakyTemporal()
    settings = settings_for("http://loop", "http://ns", str(store.engine.url))
    forwarder = Forwarder(settings, temporal, store)  # type: ignore[arg-type]
    caplog.set_level(logging.INFO, logger="returnflow.ingress")

    for _ in range(5):  # five failed rounds over the whole backlog
        await forwarder._round()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "did not take 30 of 30" in warnings[0].getMessage()
    assert WebhookOutbox(store).backlog()[0] == 30  # all still queued, none claimed for good

    monkeypatch.setattr(ingress_forwarder, "OUTAGE_REMINDER_S", 0.0)
    await forwarder._round()  # a reminder is due: a second warning
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2

    temporal.down = False
    await forwarder._round()
    assert sorted(temporal.taken) == sorted(f"return-r{k}" for k in range(30))
    assert WebhookOutbox(store).backlog()[0] == 0
    assert any("takes webhooks again" in r.getMessage() for r in caplog.records)
    store.close()
