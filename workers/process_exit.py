"""Ending a returnflow process without CPython's module teardown.

A short-lived process that used a Temporal client can abort with SIGABRT during interpreter
finalization (`PyGILState_Release: thread state ... must be current`, temporalio/sdk-python
#300): the SDK's Rust bridge threads outlive the interpreter's state. An ops command that had
already done its work then exits -6. So once the command has finished, run the atexit handlers
(logging, the tracer's span flush), flush stdio and leave with the command's own exit code.
"""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Callable


def exit_code(code: object) -> int:
    """SystemExit's code as a process exit status (None is success, a message is failure)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def run_then_exit(command: Callable[[], object]) -> None:
    """Run a command that ends by raising SystemExit (a typer app), then end the process."""
    try:
        command()
        code = 0
    except SystemExit as done:
        code = exit_code(done.code)
    except KeyboardInterrupt:
        code = 130  # the shell's convention for Ctrl-C
    except BaseException as error:  # a bug: show it as Python would (typer's hook) and fail
        sys.excepthook(type(error), error, error.__traceback__)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed or broken pipe: nothing left to say
            pass
    os._exit(code)
