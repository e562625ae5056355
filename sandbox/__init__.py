"""Isolated scratch copies of a repository and test runs inside them, with limits.

Every piece of candidate code runs through this package: ``run_tests`` for pytest,
``run_command`` for a one-off command, ``ConfinedProcess`` for a long-lived worker.
See ``healloop.sandbox.isolation`` for what each layer of confinement stops.
"""

from healloop.sandbox.isolation import Capabilities, capabilities
from healloop.sandbox.limits import Limits, scrubbed_env
from healloop.sandbox.pool import WorkspacePool, shared_pool
from healloop.sandbox.process import CommandResult, ConfinedProcess, run_command
from healloop.sandbox.pytest_run import (
    NO_NETWORK,
    leave_outside,
    regardless,
    run_tests,
    settle_flaky,
)
from healloop.sandbox.workspace import Workspace

__all__ = [
    "NO_NETWORK",
    "Capabilities",
    "CommandResult",
    "ConfinedProcess",
    "Limits",
    "Workspace",
    "WorkspacePool",
    "capabilities",
    "leave_outside",
    "regardless",
    "run_command",
    "run_tests",
    "scrubbed_env",
    "settle_flaky",
    "shared_pool",
]
