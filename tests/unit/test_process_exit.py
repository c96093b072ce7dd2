"""The CLI ends its process itself (workers/process_exit.py): its exit code, its output and its
atexit handlers must survive skipping the interpreter's teardown."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_command_exit_code_output_and_atexit_handlers_survive(tmp_path: Path) -> None:
    marker = tmp_path / "flushed"
    done = run(
        f"""
        import atexit, pathlib, sys
        from workers.process_exit import run_then_exit
        atexit.register(lambda: pathlib.Path({str(marker)!r}).write_text("yes"))
        def command():
            sys.stdout.write("partial line without a newline")
            raise SystemExit(3)
        run_then_exit(command)
        print("never reached")
        """
    )
    assert done.returncode == 3, done.stderr
    assert done.stdout == "partial line without a newline"
    assert marker.read_text() == "yes"


def test_a_message_exit_is_a_failure_with_the_message_on_stderr() -> None:
    done = run(
        """
        from workers.process_exit import run_then_exit
        def command():
            raise SystemExit("no such return")
        run_then_exit(command)
        """
    )
    assert done.returncode == 1 and "no such return" in done.stderr


def test_an_unexpected_error_shows_its_traceback_and_fails() -> None:
    done = run(
        """
        from workers.process_exit import run_then_exit
        def command():
            raise RuntimeError("store went away")
        run_then_exit(command)
        """
    )
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "RuntimeError: store went away" in done.stderr


def test_the_real_cli_keeps_typer_exit_codes() -> None:
    cli = [sys.executable, "-c", "from workers.cli import main; main()"]
    ok = subprocess.run([*cli, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "exceptions" in ok.stdout
    bad = subprocess.run([*cli, "no-such-command"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)  # fmt: skip
    assert bad.returncode == 2
