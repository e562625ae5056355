"""One repair of one target: scratch copy, fork server, search, validation.

The search trusts the fork server for speed; what it returns is trusted only after a
real sandboxed pytest run in a second scratch copy. That run starts as soon as the
first plausible patch is found, in parallel with the rest of the search, because on
most repositories it costs more than the search itself (pytest and its plugins
start from nothing).
"""

from __future__ import annotations

import ast
import logging
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from healloop.analysis.pytest_config import suite_config
from healloop.evaluation.score import broken_tests
from healloop.repair.hints import control_characters
from healloop.repair.hints import read as read_hints
from healloop.repair.localise import Elsewhere, line_scores, pointing_elsewhere
from healloop.repair.order import to_trace
from healloop.repair.runner import CandidateRunner, Check, WorkerError
from healloop.repair.search import Budget, Outcome, Patch, search
from healloop.sandbox import NO_NETWORK, Limits, Workspace, regardless, run_tests
from healloop.state import FileChange, TestRun

_log = logging.getLogger(__name__)
_SEARCH_SHARE = 0.25
"""The least part of a repair's seconds the search itself gets, whatever came before."""
_TRIES = 3
"""Plausible patches to validate, best first, before giving up on the plausible ones."""


@dataclass
class Repair:
    """What a repair found: validated patches, best first, and what it cost."""

    patches: list[Patch] = field(default_factory=list)
    partial: bool = False
    """The patches fix only some failing tests (and break none)."""
    failing: list[str] = field(default_factory=list)
    tried: int = 0
    plausible: int = 0
    seconds: float = 0.0
    settled: bool = False
    """No test failed in the repair's tree: the version repaired (a candidate that
    fixed them) or the files alongside made them all pass."""
    elsewhere: list[Elsewhere] = field(default_factory=list)
    """When nothing was found: lines of other source files that the failing tests
    point at more than at any line of the target (the fault may lie there)."""
    own_suspicion: float = 0.0
    """The highest suspicion of a target line in the run that found elsewhere."""
    offline: list[str] = field(default_factory=list)
    """Failing tests left out: they fail for want of a network the sandbox does not give."""


def heal(
    repo: Path,
    target: str,
    source: str,
    tests: TestRun,
    *,
    measured_on_source: bool,
    limits: Limits,
    seconds: float,
    alongside: Sequence[FileChange] = (),
) -> Repair:
    """Repair source (the content of target) against the tests in tests.

    tests is a run of every test that exercises the target; when
    measured_on_source is false it was run on another version of the target and the
    tests are run again on source first. alongside holds changes to other files
    (other targets' fixes) that every run of the repair has in its tree: the failures
    left to repair are those they leave. Returns an empty Repair when no test fails.
    """
    started = time.monotonic()
    try:
        ast.parse(source)
    except SyntaxError:
        return Repair()  # edits need a syntax tree; syntax errors are the linter's
    nodeids = [r.nodeid for r in tests.results if r.outcome != "skipped"]
    with (Workspace(repo) as workspace,
          _Validator(repo, target, nodeids, limits, alongside) as validator):
        workspace.apply([*alongside, FileChange(path=target, content=source)])
        reference = (tests if measured_on_source and not alongside
                     else run_tests(workspace, nodeids, limits=limits))
        # Each outcome set is built anew on every read: read them once, not per test
        # (packaging's modules are reached by tens of thousands of tests).
        failed, passed = reference.failing, reference.passed
        # A test that fails for want of a network, outside the project's code, or on what
        # the environment lacks where no change reaches, fails on any version of the
        # target: no edit can make it pass, and none is asked to.
        changed = {c.path: c.content for c in alongside} | {target: source}
        why = regardless(reference, [t for t in nodeids if t in failed], changed)
        offline = [t for t, said in why.items() if said == NO_NETWORK]
        failing = [t for t in nodeids if t in failed and t not in why]
        passing = [t for t in nodeids if t in passed]
        failing_all, passing_all = failing, passing
        if not failing:
            return Repair(seconds=time.monotonic() - started,
                          settled=not offline, offline=offline)
        timeout = candidate_timeout(reference, limits.test_timeout)
        started_runner = _start_runner(workspace, target, source, nodeids, limits, timeout,
                                       failing, passing)
        if started_runner is None:
            _log.info("repair of %s: no test runner agrees with pytest", target)
            return Repair(failing=failing, seconds=time.monotonic() - started)
        runner, baseline, failing, passing = started_runner
        spent = time.monotonic() - started
        # A large suite's runner start and the time kept for validation (up to 30 s)
        # may use up a short budget before the search begins (more-itertools' 730
        # tests at --repair-seconds 60): the search always gets a quarter of it.
        budget = Budget(seconds=max(1.0, _SEARCH_SHARE * seconds,
                                    seconds - spent - _reserve(reference)))
        _log.debug("repair of %s: runner (%s) ready after %.2fs", target, runner.mode, spent)
        addressable = [t for t in nodeids if t in failing or t in passing]
        with _Checker(runner, workspace, target, source, addressable, limits,
                      timeout) as check:
            hints = read_hints(r.message for r in reference.results if r.nodeid in failed)
            hints.characters = control_characters(repo, failing)
            outcome = search(source, check, failing, passing, baseline.lines, budget,
                             on_plausible=validator.start, hints=hints,
                             failed_at=baseline.failed_at)
            elsewhere, own = (([], 0.0) if outcome.plausible else
                              _elsewhere(repo, check.runner, source, failing, passing, timeout))
        _log.debug("search: %d tried, %d plausible, %d partial in %.2fs", outcome.tried,
                   len(outcome.plausible), len(outcome.partial), outcome.seconds)
        # The real run checks every test, also those the fast runner could not address.
        patches, partial = _validated(validator, outcome, failing_all, passing_all,
                                      contested=runner.mode == "hot")
    return Repair(patches=patches, partial=partial, failing=failing_all, tried=outcome.tried,
                  plausible=len(outcome.plausible), seconds=time.monotonic() - started,
                  elsewhere=[] if patches and not partial else elsewhere, own_suspicion=own,
                  offline=offline)


def _elsewhere(
    repo: Path, runner: CandidateRunner, source: str, failing: list[str], passing: list[str],
    timeout: float,
) -> tuple[list[Elsewhere], float]:
    """Return where else the failing tests point, and the target's highest suspicion.

    One more traced run of the failing tests and some passing ones (those of the
    failing tests' files first), recording every file of the copy.
    """
    try:
        check = runner.run(source, to_trace(failing, passing), timeout=timeout, trace=True,
                           elsewhere=True)
    except WorkerError:
        return [], 0.0
    # The target's lines are scored on the same run: Ochiai rises as passing tests leave.
    best = max(line_scores(check.lines, check.failing, check.passing).values(), default=0.0)
    return pointing_elsewhere(check.elsewhere, best, suite_config(repo).is_test), best


def candidate_timeout(run: TestRun, test_timeout: float) -> float:
    """Return the time one test may take on a candidate: ten times the slowest pass."""
    usual = max((r.duration for r in run.results if r.outcome == "passed"), default=0.05)
    return min(test_timeout, max(0.5, 10 * usual))


def _reserve(run: TestRun) -> float:
    """Return the time to keep for validating patches in the real sandbox."""
    return min(30.0, 2.0 + 2 * run.duration)


def _start_runner(
    workspace: Workspace,
    target: str,
    source: str,
    tests: list[str],
    limits: Limits,
    timeout: float,
    failing: list[str],
    passing: list[str],
) -> tuple[CandidateRunner, Check, list[str], list[str]] | None:
    """Start a hot fork server; fall back to fresh mode when it disagrees with pytest.

    Returns the runner, its traced run of the source, and the failing and passing
    tests it can address: a case whose id was built from the clock or a path has
    another id in the runner's own collection and is left out (the real sandbox run
    of a patch checks it before it is proposed).
    """
    for mode in ("hot", "fresh"):
        try:
            runner = CandidateRunner(workspace, target, tests, limits=limits, mode=mode)
        except WorkerError:
            continue
        try:
            if runner.ready:
                known = runner.collected if mode == "hot" and runner.collected else set(tests)
                mine = [t for t in tests if t in known]
                baseline = traced_baseline(runner, source, mine, timeout, failing_of=failing)
                lost = {t for t in mine if baseline.outcomes.get(t) in ("missing", "not_run")}
                failing_here = [t for t in failing if t in known and t not in lost]
                passing_here = [t for t in passing if t in known and t not in lost]
                if not baseline.crashed and failing_here and all(
                    not baseline.passed(t) for t in failing_here
                ) and baseline.all_passed(passing_here):
                    return runner, baseline, failing_here, passing_here
        except WorkerError:
            pass
        runner.close()
        _log.debug("repair of %s: %s runner disagrees with pytest", target, mode)
    return None


def traced_baseline(runner: CandidateRunner, source: str, tests: list[str],
                    timeout: float, *, failing_of: Sequence[str] = ()) -> Check:
    """Run tests on source, the failing ones and some passing ones with line tracing.

    Fault localisation needs the lines of the failing tests and of enough passing
    ones to tell a faulty line from one every test runs (``order.PASSING``, those of
    the failing tests' files first); tracing the rest of a large suite would only
    cost time. Tracing slows a test tenfold or more (more-itertools' prime sieves),
    and a test that overruns stops the run: the tests after it run again, traced, and
    the slow ones once more untraced, so that they count as the pass they are.
    """
    failing = [t for t in tests if t in set(failing_of)]
    traced = set(to_trace(failing, [t for t in tests if t not in set(failing)]))
    outcomes: dict[str, str] = {}
    lines: dict[str, list[int]] = {}
    failed_at: dict[str, tuple[int, str]] = {}
    slow: list[str] = [t for t in tests if t not in traced]  # run untraced below
    seconds = 0.0
    todo = [t for t in tests if t in traced]
    for _ in range(4):
        check = runner.run(source, todo, timeout=timeout, trace=True)
        lines.update(check.lines)
        failed_at.update(check.failed_at)
        seconds += check.seconds
        for test, outcome in check.outcomes.items():
            if outcome == "timeout":
                slow.append(test)
            elif outcome != "not_run":
                outcomes[test] = outcome
        todo = [t for t in todo if t not in outcomes and t not in slow]
        if not todo or not check.crashed:
            break
    if slow:
        plain = runner.run(source, slow, timeout=timeout)
        seconds += plain.seconds
        outcomes.update(plain.outcomes)
        failed_at.update(plain.failed_at)
    for test in todo:
        outcomes.setdefault(test, "not_run")
    return Check(outcomes=outcomes, lines=lines, failed_at=failed_at, seconds=seconds,
                 crashed=bool(todo) and check.crashed)


class _Checker:
    """Run candidates through the runner, starting a new one if a candidate kills it."""

    _RESTARTS = 3

    def __init__(
        self, runner: CandidateRunner, workspace: Workspace, target: str, source: str,
        tests: list[str], limits: Limits, timeout: float,
    ) -> None:
        self.runner, self.workspace, self.target = runner, workspace, target
        self.source = source
        self.tests, self.limits, self.timeout = tests, limits, timeout
        self.restarts = 0

    def __call__(self, candidate: str, selected: list[str], stop_on_fail: bool) -> Check:
        while True:
            try:
                # One test that loops is verdict enough: the rest would loop too.
                return self.runner.run(candidate, selected, timeout=self.timeout,
                                       stop_on_fail=stop_on_fail, stop_on_timeout=True)
            except WorkerError:
                self.runner.close()
                if self.restarts >= self._RESTARTS:
                    return Check(outcomes=dict.fromkeys(selected, "error"), crashed=True)
                self.restarts += 1
                _log.info("repair of %s: test runner died, restarting it", self.target)
                # The dead runner left its last candidate on disk; collect the original.
                self.workspace.apply([FileChange(path=self.target, content=self.source)])
                try:
                    self.runner = CandidateRunner(self.workspace, self.target, self.tests,
                                                  limits=self.limits, mode=self.runner.mode)
                except WorkerError:
                    self.restarts = self._RESTARTS

    def __enter__(self) -> _Checker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.runner.close()


def _validated(
    validator: _Validator, outcome: Outcome, failing: list[str], passing: list[str], *,
    contested: bool = False,
) -> tuple[list[Patch], bool]:
    """Return the best patch that passes a real sandboxed run, and whether it is partial.

    With contested, patches that fixed every failing test but broke passing ones in
    a hot runner are run for real too: a warm process can keep the old function
    where a test module stored it, and wrongly report the break.
    """
    for patch in [*outcome.plausible[:_TRIES], *(outcome.contested[:_TRIES] if contested else [])]:
        if validator.holds(patch, failing, passing):
            return [patch], False
    for patch in outcome.partial[:1]:
        if validator.holds(patch, patch.fixed, passing):
            return [patch], True
    return [], False


class _Validator:
    """Runs patches through the real sandbox, in a scratch copy of its own."""

    def __init__(self, repo: Path, target: str, tests: list[str], limits: Limits,
                 alongside: Sequence[FileChange] = ()) -> None:
        self.repo, self.target, self.tests, self.limits = repo, target, tests, limits
        self.alongside = list(alongside)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="repair-validate")
        self._started: dict[str, Future[TestRun]] = {}
        self._workspace: Workspace | None = None

    def start(self, patch: Patch) -> None:
        """Begin validating patch in the background."""
        if patch.source not in self._started:
            self._started[patch.source] = self._pool.submit(self._run, patch.source)

    def holds(self, patch: Patch, must_pass: list[str], passing: list[str]) -> bool:
        """Return whether every test in must_pass and passing passes on patch."""
        self.start(patch)
        # A case whose id is built from the clock has a new id in every run: paired with
        # a new passing case of its function, as the evaluation's gate pairs them.
        broken = broken_tests({*must_pass, *passing}, self._started[patch.source].result())
        if broken:
            _log.debug("repair of %s: %s breaks %d test(s) in the real run: %s", self.target,
                       patch.summary, len(broken), ", ".join(broken[:3]))
        return not broken

    def _run(self, source: str) -> TestRun:
        if self._workspace is None:
            self._workspace = Workspace(self.repo)
            self._workspace.apply(self.alongside)
        self._workspace.apply([FileChange(path=self.target, content=source)])
        return run_tests(self._workspace, self.tests, limits=self.limits)

    def __enter__(self) -> _Validator:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._workspace is not None:
            self._workspace.close()
