"""Where a leg of many returns' lives went, phase by phase (workers/timeline.py splits one).

The benchmarks summarise a leg over a batch: per phase the mean (the means add up to the mean
leg, where p50s would not) and the p50 and p99.
"""

from __future__ import annotations

from collections.abc import Iterable

from tests.bench.report import percentile


def summary(legs: Iterable[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Per phase over many legs: mean, p50 and p99 ms (phases no leg spent time in left out)."""
    legs = list(legs)
    out = {}
    for phase in dict.fromkeys(p for leg in legs for p in leg):
        values = [leg.get(phase, 0.0) for leg in legs]
        if not any(values):
            continue
        out[phase] = {
            "mean_ms": round(sum(values) / len(values), 1),
            "p50_ms": round(percentile(values, 50), 1),
            "p99_ms": round(percentile(values, 99), 1),
        }
    return out
