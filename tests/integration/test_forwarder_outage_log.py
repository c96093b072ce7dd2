"""While Temporal refuses hand-overs, the forwarder says so once (and once a minute), not once per
queued event per retry; it says when Temporal takes them again; nothing queued is lost meanwhile.
Temporal is a real client on a port nobody listens on, then the dev server."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.store import Store
from adapters.store.webhook_outbox import WebhookOutbox
from tests.drills.processes import free_port
from tests.harness import Live
from workers import ingress_forwarder
from workers.ingress import workflow_id
from workers.ingress_forwarder import Forwarder
from workers.temporal import connect


def queue(store: Store, return_ids: list[str]) -> None:
    for k, rid in enumerate(return_ids):
        now = datetime.now(UTC)
        event = {"topic": "return", "trigger": "return.created", "return_id": rid}
        event |= {"digest": f"d{k}", "received_at": now.isoformat()}
        store.record_webhook(
            f"w{k}",
            received_at=now,
            body=b"{}",
            status_code=202,
            accepted=True,
            signature_ok=True,
            return_id=rid,
            event=event,
        )


async def test_an_outage_is_one_warning_then_one_line_when_it_ends(
    live: Live, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingress_forwarder, "RETRY_AFTER_S", 0.0)
    settings = live.settings.model_copy(
        update={
            "store_url": f"sqlite:///{tmp_path / 'rf.db'}",
            # no worker polls it: the returns started here only wait, and are terminated below
            "task_queue": f"outage-{uuid.uuid4().hex[:8]}",
        }
    )
    store = Store.from_url(settings.store_url)
    store.create_all()
    return_ids = [f"outage-{uuid.uuid4().hex[:8]}-{k}" for k in range(30)]
    queue(store, return_ids)
    nobody = settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})
    forwarder = Forwarder(settings, await connect(nobody, lazy=True), store)
    caplog.set_level(logging.INFO, logger="returnflow.ingress")

    for _ in range(5):  # five failed rounds over the whole backlog
        await forwarder._round()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "did not take 30 of 30" in warnings[0].getMessage()
    assert WebhookOutbox(store).backlog()[0] == 30  # all still queued, none claimed for good

    monkeypatch.setattr(ingress_forwarder, "OUTAGE_REMINDER_S", 0.0)
    await forwarder._round()  # a reminder is due: a second warning
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2

    forwarder.client = live.client  # Temporal is back
    await forwarder._round()
    assert WebhookOutbox(store).backlog()[0] == 0
    assert any("takes webhooks again" in r.getMessage() for r in caplog.records)
    for rid in return_ids:
        handle = live.client.get_workflow_handle(workflow_id(rid))
        assert (await handle.describe()).workflow_type == "ReturnWorkflow"
        await handle.terminate("test done")
    store.close()
