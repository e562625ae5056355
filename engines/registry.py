"""Which engines a run uses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from healloop.context import RunContext
from healloop.engines.base import Engine
from healloop.engines.lint_fix import LintFixEngine
from healloop.engines.names_fix import NameFixEngine
from healloop.engines.rename import RenameEngine
from healloop.engines.syntax_fix import SyntaxFixEngine
from healloop.engines.test_repair import TestRepairEngine
from healloop.llm.factory import model_wanted

if TYPE_CHECKING:
    from healloop.llm.budget import Meter


def engines_for(context: RunContext, *, meter: Meter | None = None) -> list[Engine]:
    """Return the engines the run context asks for, cheapest first.

    The llm engine joins when asked for by name, or under ``auto`` when a model
    is configured; ``meter`` carries the run's model budget and call log.
    """
    engines: list[Engine] = []
    if context.engine in ("offline", "auto"):
        engines.append(SyntaxFixEngine())
        engines.append(NameFixEngine())
        engines.append(LintFixEngine())
        engines.append(RenameEngine())
        engines.append(TestRepairEngine())
    if model_wanted(context):
        from healloop.engines.llm import LLMEngine

        engines.append(LLMEngine(context, meter=meter))
    return engines
