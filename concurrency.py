"""Parse Python safely from several threads at once.

LangGraph runs the per-target tasks of a step (review, blast_radius) in threads, and
generate and evaluate work on several targets and candidates at once (``--jobs``).
CPython before 3.13 keeps the AST constructor's recursion depth in state shared by
all threads, so two threads parsing at once can fail with ``SystemError: AST
constructor recursion depth mismatch`` (python/cpython#106905 and its reports in
pytest, langchain and others). Parsing is a small part of the work (the time goes to
test runs and ruff, in subprocesses), so ``serialise_parsing`` puts ``ast.parse``
behind one lock for the whole process rather than giving up the parallelism.
"""

from __future__ import annotations

import ast
import functools
import sys
import threading
from typing import Any

_LOCK = threading.Lock()


def serialise_parsing() -> None:
    """Make ``ast.parse`` take a process-wide lock (once; nothing on CPython 3.13+)."""
    if sys.version_info >= (3, 13) or getattr(ast.parse, "serialised", False):
        return
    original = ast.parse

    @functools.wraps(original)
    def parse(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return original(*args, **kwargs)

    parse.serialised = True  # type: ignore[attr-defined]
    ast.parse = parse  # type: ignore[assignment]
