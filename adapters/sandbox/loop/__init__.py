"""A protocol-faithful Loop Returns sandbox (see app.create_loop_sandbox)."""

from adapters.sandbox.loop.app import create_loop_sandbox
from adapters.sandbox.loop.control_client import LoopSandboxControl

__all__ = ["LoopSandboxControl", "create_loop_sandbox"]
