"""The offline fixer of undefined names: a missing import, or a misspelt name."""

from __future__ import annotations

import ast
import re

from healloop.analysis import lint
from healloop.engines.base import GenerationJob, Proposal
from healloop.errors import ToolError
from healloop.repair.names import mend_names

_UNDEFINED = re.compile(r"Undefined name `([^`]+)`")


class NameFixEngine:
    """Propose the target with the names it reads and nothing defines defined.

    ruff finds them (F821) but has no fix: a module that uses ``os`` without
    importing it fails every test that imports it, and repair's edits keep names.
    """

    name = "names"

    def propose(self, job: GenerationJob) -> list[Proposal]:
        """Return up to three versions with every undefined name imported or corrected."""
        try:
            ast.parse(job.source)
            found = lint.undefined_names(job.repo, job.target, job.source)
        except (SyntaxError, ToolError):
            return []  # what does not parse is the syntax engine's
        uses = [(m[1], f.line, f.column) for f in found if (m := _UNDEFINED.search(f.message))]
        if not uses:
            return []
        mended = mend_names(job.source, uses, _defining(job, {name for name, _, _ in uses}))
        return [Proposal(content=m.source, engine=self.name, summary=m.summary, edits=m.steps)
                for m in mended]


def _defining(job: GenerationJob, names: set[str]) -> dict[str, list[str]]:
    """Return, for each name, the project's modules that define it at their top level."""
    from healloop.analysis.imports import build_graph

    graph = build_graph(job.repo)
    found: dict[str, list[str]] = {}
    for rel, summary in sorted(graph.files.items()):
        if rel == job.target or graph.is_test(rel):
            continue
        for name in names & summary.definitions.keys():
            found.setdefault(name, []).append(summary.module)
    return found
