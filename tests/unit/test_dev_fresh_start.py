"""`returnflow dev` starts a fresh world: no DB, write-ahead log or index of a previous run."""

from __future__ import annotations

from pathlib import Path

from tests.drills.processes import free_port
from workers.dev import start_temporal
from workers.temporal import dev_files

OLD = b"left by an earlier run"


async def test_a_fresh_start_removes_the_old_dbs_with_their_wal_and_shm(tmp_path: Path) -> None:
    stale = [*dev_files(tmp_path / "temporal.db"), *dev_files(tmp_path / "returnflow.db")]
    for path in stale:
        path.write_bytes(OLD)
    proc = await start_temporal(tmp_path, free_port(), free_port())
    try:
        leftovers = [p.name for p in stale if p.exists() and p.read_bytes() == OLD]
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert leftovers == []
    assert "--sqlite-pragma" in proc.args and "journal_mode=wal" in proc.args
