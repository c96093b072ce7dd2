"""The committed diagram is the chart: regenerate the dot text and compare (no graphviz needed)."""

from __future__ import annotations

import re
from pathlib import Path

from workers.diagram import DOT_FILE, lifecycle_dot, write_diagram
from workflows.lifecycle import ReturnLifecycle

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / DOT_FILE
REGENERATE = "regenerate with: .venv/bin/python -m workers.diagram"


def test_committed_dot_matches_the_chart() -> None:
    assert COMMITTED.exists(), f"docs/{DOT_FILE} is missing; {REGENERATE}"
    assert COMMITTED.read_text(encoding="utf-8") == lifecycle_dot(), (
        f"docs/{DOT_FILE} has drifted from workflows/lifecycle.py; {REGENERATE}"
    )


def test_dot_text_is_deterministic() -> None:
    text = lifecycle_dot()
    assert text == lifecycle_dot()
    assert not re.search(r"_\d{6,}", text), "a memory address leaked into the dot text"


def test_every_state_is_drawn() -> None:
    text = lifecycle_dot()
    for state in ReturnLifecycle.states:
        assert re.search(rf"^{state.id} \[", text, re.MULTILINE), f"state {state.id} not drawn"


def test_every_transition_is_drawn() -> None:
    text = lifecycle_dot()
    for state in ReturnLifecycle.states:
        for transition in state.transitions:
            edge = f"{transition.source.id} -> {transition.target.id} "
            assert edge in text, f"transition {edge.strip()} not drawn"


def test_write_diagram_always_writes_the_dot(tmp_path: Path) -> None:
    written = write_diagram(tmp_path)
    assert written[0] == tmp_path / DOT_FILE
    assert (tmp_path / DOT_FILE).read_text(encoding="utf-8") == lifecycle_dot()
