"""Where benchmark figures go: printed, docs/bench/<name>.json, and the benchmark's own section of
docs/performance.md (between its markers; other sections are left as they are).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workers.dev import temporal_binary

ROOT = Path(__file__).resolve().parents[2]
# A long run can use a frozen copy of the tree (so edits in progress cannot break it) and still
# write its figures into the working tree's docs: RETURNFLOW_BENCH_DOCS=/path/to/repo/docs.
DOCS = Path(os.environ.get("RETURNFLOW_BENCH_DOCS", ROOT / "docs"))
DOC = DOCS / "performance.md"
JSON_DIR = DOCS / "bench"


def python_speed_ms(n: int = 2_000_000) -> float:
    """The best of three runs of a fixed pure-Python loop. The same bare workflow has cost 2.9x
    the CPU per run on two machines that both report "AMD EPYC, 2 cores", which moves every
    figure here; this makes runs on different machines comparable."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(n):
            total += i
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


def machine() -> dict[str, Any]:
    """What the figures were measured on (the machine is shared: load is recorded too)."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    version = subprocess.run(
        [temporal_binary(), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "temporal_cli": version,
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
        "python_speed_ms": python_speed_ms(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table."""
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(str(c) for c in line) + " |" for line in lines)


def machine_line(m: dict[str, Any]) -> str:
    return (
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Python {m['python']}, "
        f"{m['temporal_cli'].splitlines()[0] if m['temporal_cli'] else 'temporal ?'}; "
        f"1-min load {m['load_average_1m_at_start']} at start (shared with other agents); "
        f"{speed(m)}{m['measured_at']}."
    )


def speed(m: dict[str, Any]) -> str:
    ms = m.get("python_speed_ms")  # runs before 2026-12-06 did not record it
    return f"Python speed check {ms} ms (a fixed 2M-step loop; lower is faster); " if ms else ""


def publish(name: str, title: str, figures: dict[str, Any], markdown: str) -> None:
    """Print, write docs/bench/<name>.json and replace this benchmark's section of the doc."""
    print(json.dumps(figures, indent=2, default=str))
    JSON_DIR.mkdir(parents=True, exist_ok=True)
    (JSON_DIR / f"{name}.json").write_text(json.dumps(figures, indent=2, default=str) + "\n")
    replace_section(
        name,
        f"## {title} (tests/bench/{name}.py)\n\n{markdown.strip()}\n\n"
        f"{machine_line(figures['machine'])} Raw figures: docs/bench/{name}.json.",
    )


def replace_section(name: str, body: str, doc: Path | None = None) -> None:
    """Put `body` between this name's markers in the doc (appended where they are missing)."""
    doc = doc or DOC
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    section = f"{start}\n{body}\n{end}"
    text = doc.read_text() if doc.exists() else "# Performance\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    doc.write_text(text)
