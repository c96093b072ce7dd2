"""The processes a drill can hurt: a Temporal dev server on a DB file it can stop and restart,
and `returnflow worker` / `returnflow ingress` as OS processes it can SIGKILL.

Each process writes its output to a log file beside the DB, so a failed drill can be read after.
"""

from __future__ import annotations

import asyncio
import compileall
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from workers.dev import temporal_binary
from workers.settings import Settings
from workers.temporal import dev_files, dev_persistence_flags, dev_server_flags

RETURNFLOW = str(Path(sys.executable).parent / "returnflow")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings_env(settings: Settings) -> dict[str, str]:
    """Settings as the RETURNFLOW_* variables a `returnflow` process reads back."""
    env: dict[str, str] = {}
    for name in Settings.model_fields:
        value: Any = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif hasattr(value, "total_seconds"):
            value = f"PT{value.total_seconds()}S"  # ISO 8601: what pydantic reads back
        elif isinstance(value, list | dict):
            value = json.dumps(value)
        env[f"RETURNFLOW_{name.upper()}"] = str(value)
    return env


class Service:
    """One child process, started in its own session so a kill reaches only it."""

    def __init__(self, name: str, cmd: list[str], log: Path, env: dict[str, str] | None = None):
        self.name, self.cmd, self.log_path = name, cmd, log
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.stopped_on_purpose = False  # a drill's own kill or stop, not a crash

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self) -> None:
        if self.proc and self.proc.poll() is None:
            raise RuntimeError(f"{self.name} is already running")
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )
        self.starts += 1
        self.stopped_on_purpose = False

    def exited(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, in-flight work is simply gone."""
        if self.proc and self.proc.poll() is None:
            self.stopped_on_purpose = True
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def terminate(self, timeout: float) -> int | None:
        """SIGTERM, then wait: the exit code, or None if it is still running after `timeout`."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.stopped_on_purpose = True
            self.proc.terminate()
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout: float = 20) -> None:
        if self.proc and self.proc.poll() is None and self.terminate(timeout) is None:
            self.kill()

    def rss_bytes(self) -> int:
        """Resident set size from /proc (Linux)."""
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0


class DevServer(Service):
    """`temporal server start-dev` on a persistent DB file: a restart keeps every workflow."""

    def __init__(self, data_dir: Path, port: int | None = None, persistent: bool = True) -> None:
        """`persistent=False`: an in-memory DB (no restart, no disk figures, no fsync cost)."""
        data_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.db = data_dir / "temporal.db"
        cmd = [
            temporal_binary(), "server", "start-dev", "--ip", "127.0.0.1",
            "--port", str(self.port), "--headless",
            "--log-level", "error", "--namespace", "default", *dev_server_flags(),
        ]  # fmt: skip
        if persistent:
            cmd += dev_persistence_flags(self.db)
        super().__init__("temporal", cmd, data_dir / "temporal.log")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def disk_bytes(self) -> int:
        """The DB file, its write-ahead log and index, as the server leaves them on disk."""
        return sum(f.stat().st_size for f in dev_files(self.db) if f.exists())

    async def wait_ready(self, timeout: float = 60) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.2)


def returnflow_process(command: str, settings: Settings, log: Path) -> Service:
    """`returnflow worker` or `returnflow ingress`, configured only through RETURNFLOW_* env.

    The workflow code is byte-compiled first, as `pip install` does for a deployed package:
    the workflow sandbox re-imports the workflow module for every run it creates, and where
    PYTHONDONTWRITEBYTECODE is set (as on these machines) each re-import would compile
    workflows/returns.py again (about 15-30 ms of CPU per return the worker picks up).
    """
    import workflows

    compileall.compile_dir(Path(workflows.__file__).parent, quiet=1)
    return Service(command, [RETURNFLOW, command], log, settings_env(settings))
