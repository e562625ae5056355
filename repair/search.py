"""The search: candidate edits in order of promise, each checked by the tests.

Candidates come from the most suspicious statements first and, within them, from
the edit kinds most often seen fixing real bugs; the queue is ordered by
suspiciousness times that prior. Each candidate must first turn the failing tests
green, then keep every passing test green. Syntax errors and candidates equal (as
syntax trees) to one already tried never reach the tests. When no single edit is
plausible, pairs of edits are tried, starting from single edits that fixed some
failing tests without breaking others.

Plausible is not correct: tests underdetermine a fix. Among plausible patches the
search prefers fewer edits, then fewer changed tokens, then the more likely kind
at the more suspicious place, which is what keeps patches from overfitting.
"""

from __future__ import annotations

import ast
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from healloop.repair.edits import Edit, apply, changed_tokens
from healloop.repair.hinted import hinted_edits
from healloop.repair.hints import Hints
from healloop.repair.localise import Suspect, line_scores, rank
from healloop.repair.operators import expression_edits
from healloop.repair.program import Program
from healloop.repair.runner import Check
from healloop.repair.statements import statement_edits
from healloop.sandbox.process import Interrupted, stopping

_log = logging.getLogger(__name__)
CheckFn = Callable[[str, list[str], bool], Check]
"""Run (source, tests, stop_on_fail) and return the outcomes."""


@dataclass
class Patch:
    """A candidate that was run, with what it did to the tests."""

    source: str
    edits: tuple[Edit, ...]
    priority: float
    fixed: list[str] = field(default_factory=list)
    """Failing tests it turned green."""
    broken: list[str] = field(default_factory=list)
    """Passing tests it turned red (empty for plausible patches)."""
    tokens: int = 0
    """Tokens changed against the searched source."""
    orphans: int = 0
    """Variables the patch leaves defined but never read: a sign of a wrong fix."""
    degenerate: int = 0
    """Calls and operators the patch makes combine an expression with itself
    (`binsearch(end, end)`, `lo - lo`): another sign of a wrong fix."""

    @property
    def summary(self) -> str:
        """Return the edits in words, joined."""
        return "; ".join(e.describe() for e in self.edits)


@dataclass
class Outcome:
    """What a search found and what it cost."""

    plausible: list[Patch]
    """Patches that pass every test, best first."""
    partial: list[Patch]
    """Patches that fix some failing tests and break none, best first."""
    tried: int
    seconds: float
    suspects: list[Suspect] = field(default_factory=list)
    contested: list[Patch] = field(default_factory=list)
    """Patches that fix every failing test but broke passing ones in the fast runner,
    best first: a runner that rebinds the target in a warm process misses references
    other modules keep (a function stored in a dict at import), so only the real
    sandbox can tell."""


@dataclass
class Budget:
    """When to stop."""

    seconds: float = 60.0
    max_candidates: int = 100_000
    keep: int = 8
    """Plausible patches to collect before stopping early."""


_BUILT_ON = 3
"""Edits that got a failing test further that second edits are tried on, at most."""
_SECOND_EDITS = 100
"""Second edits tried on each of them, the likeliest first, at most."""
_BUILD_SHARE = 0.1
"""Share of the search's seconds each of them may take."""


def search(
    source: str,
    check: CheckFn,
    failing: list[str],
    passing: list[str],
    coverage: dict[str, list[int]],
    budget: Budget | None = None,
    on_plausible: Callable[[Patch], None] | None = None,
    hints: Hints | None = None,
    failed_at: Mapping[str, tuple[int, str]] | None = None,
) -> Outcome:
    """Search for edits of source that make the failing tests pass and keep the rest.

    on_plausible is called with the first plausible patch as soon as it is found, so
    that the caller can start validating it while the search looks for better ones.
    hints (what the failing tests' messages name) add the edits they ask for.
    failed_at (where each failing test fails on source, `Check.failed_at`) lets an
    edit that gets a test further, past an assertion that failed, count as half a
    fix: the likeliest second edits are tried on top of it at once.
    """
    found = _Search(source, check, failing, passing, coverage, budget or Budget())
    found.on_plausible = on_plausible
    found.hints = hints or Hints()
    found.failed_at = dict(failed_at or {})
    return found.run()


class _Search:
    def __init__(
        self,
        source: str,
        check: CheckFn,
        failing: list[str],
        passing: list[str],
        coverage: dict[str, list[int]],
        budget: Budget,
    ) -> None:
        self.source = source
        self.check = check
        self.failing = list(failing)
        self.passing = list(passing)
        self.coverage = coverage
        self.budget = budget
        self.start = time.monotonic()
        self.deadline = self.start + budget.seconds
        self.seen: set[str] = set()
        self.tried = 0
        self.plausible: list[Patch] = []
        self.partial: list[Patch] = []
        self.contested: list[Patch] = []
        self.kills: Counter[str] = Counter()
        self.first_plausible: tuple[float, float] | None = None  # (priority, time)
        self.on_plausible: Callable[[Patch], None] | None = None
        self.hints = Hints()
        self.covering = False
        self.failed_at: dict[str, tuple[int, str]] = {}
        self.further: list[Patch] = []
        """Edits that fixed no test but got one further, which second edits build on."""
        self.queue: list[tuple[float, Edit]] = []
        self.building = False

    def run(self) -> Outcome:
        program = Program(self.source)
        self.seen.add(_key(program.tree))
        self.read_names = _read_names(program.tree)
        self.degenerate = _degenerate(program.tree)
        scores = line_scores(self.coverage, set(self.failing), set(self.passing))
        suspects = rank(program, scores)
        top = max((s.score for s in suspects), default=0.0) or 1.0
        self.queue = sorted([*_candidates(program, suspects, top, self.deadline),
                             *hinted_edits(program, suspects, self.hints, top)],
                            key=lambda pe: -pe[0])
        for priority, edit in self.queue:
            if self._should_stop(priority):
                break
            self._try((edit,), priority)
        if not self.plausible and not self._out_of_time():
            self._pairs()
        return Outcome(
            plausible=sorted(self.plausible, key=_preference),
            partial=sorted(self.partial, key=lambda p: (-len(p.fixed), *_preference(p))),
            tried=self.tried, seconds=time.monotonic() - self.start, suspects=suspects,
            contested=sorted(self.contested, key=_preference),
        )

    def _out_of_time(self) -> bool:
        return time.monotonic() >= self.deadline or self.tried >= self.budget.max_candidates

    def _should_stop(self, priority: float) -> bool:
        if self._out_of_time() or len(self.plausible) >= self.budget.keep:
            return True
        if self.first_plausible is None:
            return False
        # Keep looking a little past the first plausible patch for a likelier one.
        first_priority, first_time = self.first_plausible
        grace = min(max(3.0, 0.5 * (first_time - self.start)), 20.0)
        return priority < 0.5 * first_priority or time.monotonic() > first_time + grace

    def _try(self, edits: tuple[Edit, ...], priority: float) -> Patch | None:
        if stopping():  # a signal: the search is no result, and its thread must end
            raise Interrupted("healloop is stopping: the repair search ends")
        candidate = apply(self.source, edits)
        try:
            tree = ast.parse(candidate)
            compile(tree, "<candidate>", "exec")
        except (SyntaxError, ValueError):
            return None
        key = _key(tree)
        if key in self.seen:
            return None
        self.seen.add(key)
        self.tried += 1
        first = self.check(candidate, self.failing, len(self.failing) > 4)
        fixed = [t for t in self.failing if first.passed(t)]
        if fixed and any(first.outcomes.get(t, "not_run") == "not_run" for t in self.failing):
            # It stopped at a test still failing: count all it fixes, not those before.
            first = self.check(candidate, self.failing, False)
            fixed = [t for t in self.failing if first.passed(t)]
        _log.debug("%.3fs %s: %s", first.seconds, "; ".join(e.describe() for e in edits),
                   " ".join(first.outcomes.values()))
        if not fixed:
            if self._further(first):
                self._build_on(Patch(candidate, edits, priority,
                                     tokens=changed_tokens(self.source, candidate)))
            return None
        # The tests that broke most candidates run first, so a bad one fails fast; but
        # tests may share state (one links a node another walks), so a test that fails
        # after tests run out of the suite's order is asked again in that order.
        order = sorted(self.passing, key=lambda t: -self.kills[t])
        second = self.check(candidate, order, True)
        broken = [t for t in order if not second.passed(t)]
        if broken and _ran_before(order, broken[0]) != _ran_before(self.passing, broken[0]):
            second = self.check(candidate, self.passing, True)
            broken = [t for t in self.passing if not second.passed(t)]
        if broken:
            _log.debug("  breaks %s (%s)", broken[0], second.outcomes.get(broken[0]))
        for t in broken:
            self.kills[t] += 1
        if broken:
            if len(fixed) == len(self.failing):
                contested = Patch(candidate, edits, priority, fixed=fixed, broken=broken,
                                  tokens=changed_tokens(self.source, candidate))
                self.contested.append(contested)
                if len(self.contested) == 1 and self.on_plausible is not None:
                    self.on_plausible(contested)  # the real run can start at once
            return None
        patch = Patch(candidate, edits, priority, fixed=fixed,
                      tokens=changed_tokens(self.source, candidate),
                      orphans=len(self.read_names - _read_names(tree)),
                      degenerate=max(0, _degenerate(tree) - self.degenerate))
        if len(fixed) == len(self.failing):
            self.plausible.append(patch)
            if self.first_plausible is None:
                self.first_plausible = (priority, time.monotonic())
                if self.on_plausible is not None:
                    self.on_plausible(patch)
        else:
            self.partial.append(patch)
            if not self.covering:
                self._cover()
        return patch

    def _further(self, check: Check) -> bool:
        """Whether a failing test now fails further on in its own file than it did.

        `assert f(1024) == '1K'` passes and the test fails three assertions later: the
        edit fixed part of what the test checks. A fault in two places (or a fix of two
        edits) is found this way one edit at a time when one test checks both.
        """
        for test in self.failing:
            before, after = self.failed_at.get(test), check.failed_at.get(test)
            if before is not None and after is not None and after[0] > before[0] and (
                check.outcomes.get(test) == "failed"
            ):
                return True
        return False

    def _build_on(self, first: Patch) -> None:
        """Try the likeliest edits together with one that got a failing test further."""
        if self.building or self.covering or len(self.further) >= _BUILT_ON:
            return
        self.further.append(first)
        self.building = True
        stop = time.monotonic() + _BUILD_SHARE * self.budget.seconds
        try:
            tried = 0
            for priority, edit in self.queue:
                if tried >= _SECOND_EDITS or time.monotonic() > stop:
                    break
                if any(edit.overlaps(e) for e in first.edits):
                    continue
                together = first.priority * priority  # below either: a plausible pair must
                # not end the search before the single edits as likely as its parts
                if self._should_stop(together):
                    break
                self._try((*first.edits, edit), together)
                tried += 1
        finally:
            self.building = False

    def _cover(self) -> None:
        """Try together the partial fixes that each fix other failing tests.

        Faults in several places (four functions of one module, each failing its own
        test) are found one edit at a time, each a partial fix; their union, where
        their edits do not overlap, may fix them all. Tried whenever a partial fix
        fixes a test the others did not.
        """
        chosen: list[Edit] = []
        covered: set[str] = set()
        parts: list[Patch] = []
        for patch in sorted(self.partial, key=lambda p: (-len(p.fixed), *_preference(p))):
            if set(patch.fixed) <= covered or any(
                    e.overlaps(c) for e in patch.edits for c in chosen):
                continue
            chosen += patch.edits
            covered |= set(patch.fixed)
            parts.append(patch)
        if len(parts) < 2:
            return
        self.covering = True
        try:
            self._try(tuple(sorted(chosen, key=lambda e: e.start)),
                      min(p.priority for p in parts))
        finally:
            self.covering = False

    def _pairs(self) -> None:
        """Try two edits together: partial fixes first, then the likeliest pairs."""
        queue = self.queue
        seeds = sorted(self.partial, key=lambda p: (-len(p.fixed), -p.priority))[:3]
        seeds += self.further[: 3 - len(seeds)]
        pairs: list[tuple[float, tuple[Edit, Edit]]] = []
        for seed in seeds:
            (first,) = seed.edits[:1]
            for priority, edit in queue[:400]:
                if not edit.overlaps(first):
                    pairs.append((seed.priority * priority * 2, (first, edit)))
        head = [e for _, e in queue[:60]]
        weights = {id(e): p for p, e in queue[:60]}
        for i, a in enumerate(head):
            for b in head[i + 1:]:
                if not a.overlaps(b):
                    pairs.append((weights[id(a)] * weights[id(b)], (a, b)))
        pairs.sort(key=lambda pe: -pe[0])
        for priority, edits in pairs:
            if self._should_stop(priority):
                break
            self._try(edits, priority)


_MAX_EDITS = 30_000
"""Candidate edits generated at most, most suspicious statements first."""


def _candidates(
    program: Program, suspects: Iterable[Suspect], top: float, deadline: float
) -> list[tuple[float, Edit]]:
    found: list[tuple[float, Edit]] = []
    for suspect in suspects:
        if len(found) >= _MAX_EDITS or time.monotonic() >= deadline:
            break  # making the edits of a large module counts against the repair's time
        if stopping():
            raise Interrupted("healloop is stopping: the repair search ends")
        scope = program.scope_of(suspect.stmt)
        weight = suspect.score / top
        for edit in expression_edits(program, suspect.stmt, scope):
            if edit is not None:
                found.append((weight * edit.weight, edit))
        for edit in statement_edits(program, suspect.stmt, scope):
            found.append((weight * edit.weight, edit))
    return found


def _ran_before(order: list[str], test: str) -> list[str]:
    """Return the tests that run before test in order."""
    return order[: order.index(test)]


def _key(tree: ast.AST) -> str:
    return ast.dump(tree)


def _read_names(tree: ast.AST) -> set[str]:
    """Return the names a module both defines and reads."""
    stored: set[str] = set()
    loaded: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else stored).add(node.id)
        elif isinstance(node, ast.arg):
            stored.add(node.arg)
    return stored & loaded


def _degenerate(tree: ast.AST) -> int:
    """Return how many calls and operators take the same expression twice.

    Two arguments of a call, the two sides of an operator or of a comparison, two
    operands of `and`/`or`: `x * x` aside (a square), code rarely means these.
    """
    found = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            parts = [ast.dump(a) for a in node.args]
            found += len(parts) - len(set(parts))
        elif isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Mult):
            found += ast.dump(node.left) == ast.dump(node.right)
        elif isinstance(node, ast.Compare):
            parts = [ast.dump(p) for p in (node.left, *node.comparators)]
            found += sum(a == b for a, b in zip(parts, parts[1:], strict=False))
        elif isinstance(node, ast.BoolOp):
            parts = [ast.dump(v) for v in node.values]
            found += len(parts) - len(set(parts))
    return found


def _preference(patch: Patch) -> tuple[int, bool, bool, int, float]:
    """Order patches: fewest edits, then fewest changed tokens, then the likeliest.

    A patch after which a variable is still assigned but never read comes after the
    others of its size: the author meant that variable to be used, so the fix
    probably belongs elsewhere. So does one that makes a call or an operator take
    the same expression twice (`binsearch(mid, end)` → `binsearch(end, end)`):
    degenerate code that happens to pass is rarely the fix.
    """
    return (len(patch.edits), patch.orphans > 0, patch.degenerate > 0, patch.tokens,
            -patch.priority)
