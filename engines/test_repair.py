"""Test-driven repair: turn failing tests into a passing candidate without a model.

The engine runs only when review found failing tests that exercise the target; code
whose tests pass is left alone. The repair itself (fault localisation, a search over
small edits checked by the tests, validation in the real sandbox) lives in
``healloop.repair``; this module adapts it to the generate interface.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from typing import TypeVar

from healloop.engines.base import GenerationJob, Proposal
from healloop.repair.heal import Repair, heal
from healloop.repair.search import Patch
from healloop.sandbox import Limits

_Key = tuple[str, str, str, tuple[str, ...], tuple[tuple[str, str], ...]]
_V = TypeVar("_V")
_CACHE: OrderedDict[_Key, list[Proposal]] = OrderedDict()
_FRUITLESS: OrderedDict[_Key, int] = OrderedDict()
_CACHE_SIZE = 32


class TestRepairEngine:
    """Heal failing tests by searching small edits around the suspicious statements."""

    name = "repair"
    __test__ = False  # a generator, not a pytest test class

    def propose(self, job: GenerationJob) -> list[Proposal]:
        """Return the best validated patch, or nothing when no test fails or none is found.

        A later round on the same source and failures returns the same answer without
        searching again: the search is deterministic for a given budget. After a
        search found nothing, a search for the same failures on another version of
        the target (say, with ruff's fixes) gets a quarter of the budget: the fault
        and the tests are the same, so the outcome rarely is different.

        In a round that repairs several targets failing the same tests, the search
        waits for the repairs of the targets fault localisation points at first, and
        does not run when they made its failing tests pass (``job.repairs``). It runs
        in a tree with their patches and the other targets' best candidates
        (``job.alongside``), on the failures those leave.
        """
        run = job.review.tests
        if run is None or not run.failing:
            return []
        failing = tuple(sorted(run.failing))
        if job.repairs is not None:
            needless = job.repairs.needless(job.target)
            if needless is not None:
                job.notes.append(f"repair of {job.target} skipped: {needless}")
                return []
        # The other targets' fixes are in every tree a candidate is measured in.
        alongside = {c.path: c for c in job.alongside}
        alongside.update((c.path, c) for c in (job.repairs.helping(job.target)
                                                 if job.repairs is not None else ()))
        others = tuple(sorted((c.path, c.content or "") for c in alongside.values()))
        key = (str(job.repo), job.target, job.source, failing, others)
        origin = (str(job.repo), job.target, job.original, failing, ())
        if key not in _CACHE:
            ctx = job.context
            limits = Limits(test_timeout=ctx.test_timeout, run_timeout=ctx.run_timeout,
                            pass_env=tuple(ctx.pass_env))
            seconds = ctx.repair_seconds / 4 ** min(_FRUITLESS.get(origin, 0), 1)
            repair = heal(job.repo, job.target, job.source, run,
                          measured_on_source=job.source == job.original and not others,
                          limits=limits, seconds=seconds, alongside=list(alongside.values()))
            _remember(_CACHE, key, [_proposal(p, repair) for p in repair.patches])
            if repair.offline:
                more = ", ..." if len(repair.offline) > 3 else ""
                job.notes.append(
                    f"repair of {job.target} leaves out {len(repair.offline)} failing test(s) "
                    f"that need a network the sandbox does not give: "
                    f"{', '.join(repair.offline[:3])}{more}")
            if job.repairs is not None and repair.patches:
                job.repairs.finished(job.target, frozenset(repair.patches[0].fixed),
                                     repair.patches[0].summary, repair.patches[0].source)
            if repair.settled:
                job.notes.append(
                    f"repair of {job.target} skipped: its {len(failing)} failing test(s) pass "
                    + (f"with the fixes of {', '.join(sorted(alongside))} alongside" if alongside
                       else "on the version it starts from"))
            elif not repair.patches:
                _remember(_FRUITLESS, origin, _FRUITLESS.get(origin, 0) + 1)
                job.notes.append(
                    f"repair of {job.target}: {repair.tried} edit(s) tried in "
                    f"{repair.seconds:.0f}s, none made {len(repair.failing or failing)} "
                    "failing test(s) pass without breaking another"
                    + _pointing(repair, job.targets))
        return [replace(p) for p in _CACHE[key]]


def _pointing(repair: Repair, targets: tuple[str, ...]) -> str:
    """Say which other files the failing tests point at, when they outrank the target."""
    if not repair.elsewhere:
        return ""
    where = ", ".join(e.describe() for e in repair.elsewhere)
    add = [e.path for e in repair.elsewhere if e.path not in targets]
    return (f"; the failing tests point elsewhere, at {where}, more than at any line of the "
            f"target ({repair.own_suspicion:.2f})"
            + (f": to repair there, add {' '.join(f'--file {p}' for p in add)}" if add else ""))


def _remember(cache: OrderedDict[_Key, _V], key: _Key, value: _V) -> None:
    cache[key] = value
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)


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
