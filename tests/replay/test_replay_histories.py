"""Every saved history replays against today's workflow code: running returns stay safe."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.replay import replay_file

HISTORIES = sorted((Path(__file__).parents[1] / "histories").glob("*.json"))


def test_there_are_histories_for_the_main_paths() -> None:
    names = {p.stem for p in HISTORIES}
    assert {
        "happy_path",
        "manual_approval",
        "sku_exception_then_cancel",
        "happy_path_v2",
        "store_credit",
        "exchange",
        "exchange_child",
        "refund_cancelled",
        "loop_review_v3",
    } <= names


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays_without_nondeterminism(path: Path) -> None:
    result = await replay_file(path)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"


async def test_a_changed_workflow_is_caught(tmp_path: Path) -> None:
    """A history whose commands no longer match the code must fail replay, not pass silently."""
    source = (Path(__file__).parents[1] / "histories" / "happy_path.json").read_text()
    mutated = source.replace('"erp.create_return_authorization"', '"erp.create_something_else"')
    assert mutated != source
    path = tmp_path / "happy_path.json"
    path.write_text(mutated)
    result = await replay_file(path)
    assert result.replay_failure is not None
