"""The offline fixer of code that does not parse: small edits where the parser stopped."""

from __future__ import annotations

from healloop.engines.base import GenerationJob, Proposal
from healloop.repair.syntax import mend, parse_error


class SyntaxFixEngine:
    """Propose versions of a target that does not parse that do, fewest edits first.

    ruff cannot fix a syntax error and test-driven repair needs a syntax tree, so a
    missing colon would otherwise end the run with no candidate. The alternatives go
    to the evaluation, whose tests say which one is right; the next round repairs
    what the tests still find wrong.
    """

    name = "syntax"

    def propose(self, job: GenerationJob) -> list[Proposal]:
        """Return up to three versions of the source that parse, or nothing if it does."""
        error = parse_error(job.source)
        if error is None:
            return []
        found = mend(job.source)
        if not found:
            job.notes.append(f"syntax of {job.target}: no small edit mends line "
                             f"{error.lineno} ({error.msg})")
        return [Proposal(content=m.source, engine=self.name, summary=m.summary, edits=m.steps)
                for m in found]
