"""Test-driven repair: turn failing tests into a passing candidate without a model.

The engine runs only when review found failing tests that exercise the target; code
whose tests pass is left alone. The repair itself (fault localisation, a search over
small edits checked by the tests, validation in the real sandbox) lives in
``healloop.repair``; this module adapts it to the generate interface.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace

from healloop.engines.base import GenerationJob, Proposal
from healloop.repair.heal import Repair, heal
from healloop.repair.search import Patch
from healloop.sandbox import Limits

_CACHE: OrderedDict[tuple[str, str, str, tuple[str, ...]], list[Proposal]] = OrderedDict()
_CACHE_SIZE = 32


class TestRepairEngine:
    """Heal failing tests by searching small edits around the suspicious statements."""

    name = "repair"
    __test__ = False  # a generator, not a pytest test class

    def propose(self, job: GenerationJob) -> list[Proposal]:
        """Return the best validated patch, or nothing when no test fails or none is found.

        A later round on the same source and failures returns the same answer without
        searching again: the search is deterministic for a given budget.
        """
        run = job.review.tests
        if run is None or not run.failing:
            return []
        key = (str(job.repo), job.target, job.source, tuple(sorted(run.failing)))
        if key not in _CACHE:
            ctx = job.context
            limits = Limits(test_timeout=ctx.test_timeout, run_timeout=ctx.run_timeout,
                            pass_env=tuple(ctx.pass_env))
            repair = heal(job.repo, job.target, job.source, run,
                          measured_on_source=job.source == job.original, limits=limits,
                          seconds=ctx.repair_seconds)
            _CACHE[key] = [_proposal(p, repair) for p in repair.patches]
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
        return [replace(p) for p in _CACHE[key]]


def _proposal(patch: Patch, repair: Repair) -> Proposal:
    summary = patch.summary
    if repair.partial:
        summary = (f"partial repair ({len(patch.fixed)} of {len(repair.failing)} failing "
                   f"tests): {summary}")
    return Proposal(
        content=patch.source,
        engine=TestRepairEngine.name,
        summary=summary,
        edits=[*(e.describe() for e in patch.edits), f"turns green: {', '.join(patch.fixed)}"],
        stats={"tried": float(repair.tried), "seconds": round(repair.seconds, 2),
               "plausible": float(repair.plausible), "fixed_tests": float(len(patch.fixed)),
               "tokens": float(patch.tokens)},
    )
