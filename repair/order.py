"""Which target's repair goes first when several targets fail the same tests.

Tests reach a package's ``__init__`` through every submodule, so a fault in one
target fails the same tests in all of them, and each target's repair would search
its whole budget for a fix that is not in its file. Fault localisation over every
such target at once (one traced run of their tests) says which file the failing
tests point at. A target's repair then waits for the repairs of the targets ranked
above it, and is skipped when one of them made all its failing tests pass: the
failures were never its own. When those repairs find nothing, or fix only some of
its failures, it searches as it would have; the order costs time only when
localisation points at the wrong file, never a fix. A repair a later round reuses
from an earlier one settles nothing here: whether it held is the evaluation's to say.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from healloop.repair.localise import line_scores
from healloop.repair.runner import CandidateRunner, WorkerError
from healloop.sandbox import Limits, Workspace
from healloop.sandbox.process import Interrupted, stopping
from healloop.state import FileChange, TestRun

_log = logging.getLogger(__name__)


@dataclass
class _Fix:
    """What one target's repair made pass this round, and the patched source."""

    fixed: frozenset[str]
    summary: str
    source: str | None = None


@dataclass
class RepairOrder:
    """The order of one round's repairs, shared by the threads of the round."""

    failing: dict[str, frozenset[str]] = field(default_factory=dict)
    """Failing tests of each target whose repair waits or is waited for."""
    suspicion: dict[str, float] = field(default_factory=dict)
    """The highest Ochiai score of each target's lines for its failing tests."""
    settled: dict[str, str] = field(default_factory=dict)
    """Why a target needs no repair this round, known before the round starts."""
    _done: dict[str, _Fix] = field(default_factory=dict)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def first(self, targets: list[str]) -> list[str]:
        """Return targets with the most suspicious first, the order to start them in.

        A target waits only for targets ranked strictly above it, so starting them
        in this order on a first-in, first-out pool never waits for one not started.
        """
        return sorted(targets, key=lambda t: -self.suspicion.get(t, 0.0))

    def ahead(self, target: str) -> list[str]:
        """Return the targets whose repair this target's waits for."""
        mine = self.suspicion.get(target)
        failing = self.failing.get(target, frozenset())
        if mine is None:
            return []
        return [t for t, score in self.suspicion.items()
                if score > mine and self.failing[t] & failing]

    def needless(self, target: str) -> str | None:
        """Wait for the repairs ranked above target; return why it needs none, or None."""
        if target in self.settled:
            return self.settled[target]
        ahead = self.ahead(target)
        if not ahead:
            return None
        with self._changed:
            while not self._changed.wait_for(lambda: all(t in self._done for t in ahead),
                                             timeout=0.5):
                if stopping():
                    raise Interrupted("healloop is stopping: the repairs ahead are not awaited")
        failing = self.failing[target]
        helpers = [t for t in ahead if self._done[t].fixed & failing]
        if not helpers or not failing <= frozenset().union(*(self._done[t].fixed for t in helpers)):
            return None
        mine = self.suspicion[target]
        by = "; ".join(f"the repair of {t} ({self._done[t].summary})" for t in helpers)
        where = ", ".join(f"{t} {self.suspicion[t]:.2f}" for t in helpers)
        return (f"its {len(failing)} failing test(s) pass with {by}, where fault "
                f"localisation points (suspicion {where}, {target} {mine:.2f})")

    def helping(self, target: str) -> list[FileChange]:
        """Return the patches of the repairs ahead of target that fixed some of its tests.

        Called after ``needless``: a target whose failures another target's repair
        only partly fixed is repaired with that repair in its tree, so that it works
        on the failures left, not on all of them.
        """
        failing = self.failing.get(target, frozenset())
        with self._changed:
            done = {t: self._done[t] for t in self.ahead(target) if t in self._done}
        return [FileChange(path=t, content=fix.source) for t, fix in sorted(done.items())
                if fix.source is not None and fix.fixed & failing]

    def finished(self, target: str, fixed: frozenset[str] = frozenset(),
                 summary: str = "", source: str | None = None) -> None:
        """Record what target's repair made pass (nothing when it ran none); wake waiters.

        Only the first record of a target counts: generation calls this once more
        when it is done with the target, whatever happened, so no one waits forever.
        """
        with self._changed:
            self._done.setdefault(target, _Fix(fixed, summary, source))
            self._changed.notify_all()


PASSING = 200
"""Passing tests traced beside the failing ones, at most: enough to tell a faulty line
from one every test runs, and a bound on the cost where a module is reached by tens of
thousands of tests (packaging)."""


def traced_tests(run: TestRun) -> list[str]:
    """Return the failing tests of run and passing ones, those of their files first."""
    passing = sorted(r.nodeid for r in run.results if r.outcome == "passed")
    return to_trace(sorted(run.failing), passing)


def to_trace(failing: Sequence[str], passing: Sequence[str]) -> list[str]:
    """Return the failing tests and at most PASSING passing ones, of their files first."""
    files = {t.split("::", 1)[0] for t in failing}
    some = sorted(passing, key=lambda t: t.split("::", 1)[0] not in files)[:PASSING]
    return [*failing, *some]


def suspicion(
    repo: Path,
    sources: Mapping[str, str],
    run: TestRun,
    *,
    limits: Limits,
    timeout: float,
) -> dict[str, float]:
    """Return each target's highest suspicion for the failing tests of run.

    One traced run of run's tests in a scratch copy holding sources (path to
    content) records which lines of every target each test executes; a target's
    suspicion is the Ochiai score of its most suspicious line. Empty when the
    tests cannot be run this way, which leaves every repair to run at once.
    """
    tests = traced_tests(run)
    paths = sorted(sources)
    if not tests or len(paths) < 2:
        return {}
    with Workspace(repo) as workspace:
        workspace.apply([FileChange(path=p, content=c) for p, c in sources.items()])
        try:
            with CandidateRunner(workspace, paths[0], tests, limits=limits) as runner:
                if not runner.ready:
                    return {}
                check = runner.run(None, tests, timeout=timeout, trace=True,
                                   trace_also=tuple(paths[1:]))
        except WorkerError as exc:
            _log.info("fault localisation over %d targets: %s", len(paths), exc)
            return {}
    failing, passing = check.failing, check.passing
    if not failing:
        return {}
    coverage = {paths[0]: check.lines, **check.also}
    return {path: max(line_scores(coverage.get(path, {}), failing, passing).values(),
                      default=0.0)
            for path in paths}
