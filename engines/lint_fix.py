"""The deterministic offline fixer: ruff's safe fixes, and formatting."""

from __future__ import annotations

from healloop.analysis import lint
from healloop.engines.base import GenerationJob, Proposal
from healloop.learning.kinds import addressed

DEFECTS = ("F", "E", "W", "B", "PLE")
"""Rules of code that is wrong or dead (pyflakes, pycodestyle, bugbear, pylint errors),
not of style: their fixes alone make the first, smallest candidate."""


class LintFixEngine:
    """Apply ruff's fixes: safe ones of defects, all safe ones, formatted, unsafe too."""

    name = "ruff"

    def propose(self, job: GenerationJob) -> list[Proposal]:
        """Propose the source with its defects fixed, with every safe fix, and formatted.

        The repository's rules may reach far past the defect at hand, and a newer
        ruff than the project's brings fixes of its own (``typing_extensions.Self``
        for a project that does not install it): the fixes of defects alone are a
        candidate of their own, so a broken import is never the price of the fix.
        """
        fixable = [f for f in job.review.findings if f.source == "ruff"]
        keep = lint.rule_codes(job.leave_alone)
        proposals: list[Proposal] = []
        seen = {job.source}
        # Last, the defects' unsafe fixes too (an unused variable, a mutable default):
        # ruff cannot tell they keep the behaviour, the tests in the evaluation can.
        for only, formatted, unsafe in ((DEFECTS, False, False), ((), False, False),
                                        ((), True, False), (DEFECTS, False, True)):
            content = lint.fix(job.repo, job.target, job.source, format_code=formatted,
                               unfixable=keep, only=only, unsafe=unsafe)
            if content in seen:
                continue
            seen.add(content)
            # The rules whose findings the fixes removed, not every rule the review saw.
            rules = addressed(fixable, lint.lint(job.repo, job.target, content))
            proposals.append(
                Proposal(
                    content=content,
                    engine=self.name,
                    summary=("ruff fixes of defects, unsafe ones too" if unsafe else
                             "ruff fixes of defects" if only else "ruff safe fixes")
                    + (" and formatting" if formatted else ""),
                    edits=[f"ruff fixes for {', '.join(rules) or 'style'}"]
                    + (["ruff format"] if formatted else []),
                )
            )
        return proposals
