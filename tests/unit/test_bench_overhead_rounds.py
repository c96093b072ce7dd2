"""The overhead benchmark's rounds: the ratio quoted is the median round's, and its rate with it."""

from __future__ import annotations

import json
from typing import Any

from tests.bench.bench_overhead import markdown, mean_cpu, median_round
from tests.bench.report import JSON_DIR


def _round(rate: float, bare: float, worker: float) -> dict[str, Any]:
    cpu = {"worker": worker, "dev server": 100.0, "driver": 10.0}
    return {
        "returnflow_returns_per_s": rate,
        "bare_workflows_per_s": bare,
        "ratio": round(rate / bare, 3),
        "cpu_ms_per_return": cpu,
        "bare_cpu_ms_per_workflow": {"worker": 50.0, "dev server": 80.0, "driver": 3.0},
    }


def test_the_median_round_is_chosen_whole_not_mixed_from_rounds() -> None:
    slow_machine = _round(3.0, 5.0, 200.0)  # 0.6x: both sides slowed down together
    typical = _round(4.0, 8.0, 150.0)  # 0.5x
    unlucky = _round(4.5, 11.25, 140.0)  # 0.4x: the fastest returnflow, but not its best ratio
    assert median_round([slow_machine, typical, unlucky]) is typical
    assert median_round([unlucky, slow_machine]) is unlucky  # even count: the lower middle
    assert median_round([typical]) is typical


def test_cpu_is_the_mean_of_the_rounds_per_process() -> None:
    rounds = [_round(3.0, 5.0, 200.0), _round(4.0, 8.0, 150.0)]
    assert mean_cpu([r["cpu_ms_per_return"] for r in rounds]) == {
        "worker": 175.0,
        "dev server": 100.0,
        "driver": 10.0,
    }


def test_the_section_lists_every_round_and_marks_the_median() -> None:
    recorded = json.loads((JSON_DIR / "bench_overhead.json").read_text())
    rounds = [_round(3.0, 5.0, 200.0), _round(4.0, 8.0, 150.0), _round(4.5, 11.25, 140.0)]
    recorded.update(rounds=rounds, **{k: v for k, v in rounds[1].items() if "cpu" not in k})
    text = markdown(recorded)
    assert "| 1 | 3.0/s | 5.0/s | 0.6x | 310.0 / 133.0 ms |" in text
    assert "| 3 | 4.5/s | 11.25/s | 0.4x |" in text
    assert "| **median round** | **4.0/s** | 8.0/s | **0.5x** (target ≥ 0.8x) |" in text
