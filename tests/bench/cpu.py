"""CPU seconds a process has used (user + system, from /proc), so a benchmark can say what one
return cost each part of the deployment, not only how long it took on a shared machine."""

from __future__ import annotations

import os

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int | None) -> float:
    """0.0 for a process that is gone (or never started): read before stopping one."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14, 15)


class CpuMeter:
    """CPU used by named processes between `start()` and `stop()`, per unit of work."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self.pids = pids
        self.used: dict[str, float] = {}
        self._at: dict[str, float] = {}

    def start(self) -> None:
        self._at = {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def stop(self) -> None:
        self.used = {name: cpu_seconds(pid) - self._at[name] for name, pid in self.pids.items()}

    def ms_per(self, units: int) -> dict[str, float]:
        return {name: round(s * 1000 / units, 1) for name, s in self.used.items()}
