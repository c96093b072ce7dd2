"""Lower the CPU priority of whole processes (every thread), to stand in for a deployment where
a latency-critical process has CPU of its own and the rest share what is left."""

from __future__ import annotations

import os


def lower_priority(pid: int | None, niceness: int = 10) -> None:
    """Every thread of `pid` to `niceness` (Linux sets it per thread; new threads inherit it)."""
    if pid is None:
        return
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            os.setpriority(os.PRIO_PROCESS, int(tid), niceness)
        except (ProcessLookupError, PermissionError):  # the thread ended meanwhile
            pass
