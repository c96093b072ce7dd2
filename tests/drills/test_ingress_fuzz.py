"""Hypothesis-generated bodies and headers at the real ingress: nothing forged gets in, nothing
crashes it, nothing signed and valid is lost."""

from __future__ import annotations

from pathlib import Path

from adapters.sandbox.server import ServedApp
from adapters.store import Store
from tests.drills.fuzz import draw_cases, fuzz_ingress
from tests.drills.stack import Stack
from workers.ingress import create_ingress

CASES = 300


async def test_fuzzed_webhooks(quiet_stack: Stack, tmp_path: Path) -> None:
    drawn = draw_cases(CASES)
    assert {c.kind for c in drawn} == {"event", "json", "bytes", "broken"}
    assert sum(c.signed_ok and c.kind == "event" for c in drawn) > 10
    store = Store.from_url(f"sqlite:///{tmp_path / 'fuzz.db'}")
    store.create_all()
    settings = quiet_stack.settings.model_copy(update={"task_queue": "drill-fuzz-nobody"})
    with ServedApp(create_ingress(settings, quiet_stack.client, store), name="fuzz") as ingress:
        result = await fuzz_ingress(ingress.url, store, quiet_stack.client, drawn)

    assert result.findings == [], result.summary()
    assert sum(result.statuses.values()) == CASES
