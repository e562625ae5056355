"""The deterministic offline fixer: ruff's safe fixes, and formatting."""

from __future__ import annotations

from healloop.analysis import lint
from healloop.engines.base import GenerationJob, Proposal
from healloop.learning.kinds import addressed


class LintFixEngine:
    """Apply ruff's safe fixes to the source, with and without formatting."""

    name = "ruff"

    def propose(self, job: GenerationJob) -> list[Proposal]:
        """Propose the fixed source, and the fixed and formatted source."""
        fixable = [f for f in job.review.findings if f.source == "ruff"]
        keep = lint.rule_codes(job.leave_alone)
        proposals: list[Proposal] = []
        seen = {job.source}
        for formatted in (False, True):
            content = lint.fix(job.repo, job.target, job.source, format_code=formatted,
                               unfixable=keep)
            if content in seen:
                continue
            seen.add(content)
            # The rules whose findings the fixes removed, not every rule the review saw.
            rules = addressed(fixable, lint.lint(job.repo, job.target, content))
            proposals.append(
                Proposal(
                    content=content,
                    engine=self.name,
                    summary=("ruff safe fixes" + (" and formatting" if formatted else "")),
                    edits=[f"ruff fixes for {', '.join(rules) or 'style'}"]
                    + (["ruff format"] if formatted else []),
                )
            )
        return proposals
