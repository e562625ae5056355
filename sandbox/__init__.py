"""Isolated scratch copies of a repository and test runs inside them, with limits."""

from healloop.sandbox.limits import Limits
from healloop.sandbox.pytest_run import run_tests
from healloop.sandbox.workspace import Workspace

__all__ = ["Limits", "Workspace", "run_tests"]
