"""Which engines a run uses."""

from __future__ import annotations

from healloop.context import RunContext
from healloop.engines.base import Engine
from healloop.engines.lint_fix import LintFixEngine


def engines_for(context: RunContext) -> list[Engine]:
    """Return the engines the run context asks for, cheapest first."""
    engines: list[Engine] = []
    if context.engine in ("offline", "auto"):
        engines.append(LintFixEngine())
    return engines
