"""evaluate: measure the new candidates and keep the best one per target.

A candidate is measured together with the best candidates of the other targets,
composed into one tree: that is what applying them all would write. Targets that
depend on each other are therefore evaluated in order (a target before the targets
that import it or that its candidates edit), and the candidates of one wave in
parallel (``--jobs``), each in one of a few scratch copies reused between them.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from langgraph.runtime import Runtime

from healloop.analysis.api import api_breaks, used_by
from healloop.analysis.test_impact import affected_by, runnable
from healloop.analysis.tests_for import tests_for
from healloop.changeset import Composition, compose
from healloop.context import RunContext
from healloop.engines.rename import renamed_symbols
from healloop.evaluation.measure import measure
from healloop.evaluation.score import feedback, score
from healloop.evaluation.score import gates as gates_of
from healloop.llm.factory import model_wanted
from healloop.nodes._common import (
    baseline_of,
    blast_of,
    candidates_of,
    context_of,
    evaluations_of,
    limits_of,
    measured_with_rejected,
    original_of,
    repo_of,
    request_of,
    reviews_of,
    workers,
)
from healloop.sandbox import Workspace
from healloop.state import Candidate, Evaluation, Gate, HealState, TestRun


def evaluate(state: HealState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Score every candidate of this round against the original it replaces.

    The best candidates last measured with one the human has since rejected are
    measured again, with what is now best alongside.
    """
    ctx = context_of(runtime)
    candidates = candidates_of(state)
    done = evaluations_of(state)
    fresh = [c for c in candidates.values() if c.id not in done]
    fresh += [candidates[cid] for cid in measured_with_rejected(state)]
    evaluations = list(done.values())
    best = _best(state, evaluations)
    if not fresh:
        return {"evaluations": [], "best": best}
    size = min(workers(ctx), max(1, len(fresh)))
    judge = _judge(state, ctx)
    before = dict(best)
    with _workspaces(repo_of(state), size) as pool, ThreadPoolExecutor(size) as threads:
        for wave in _waves(state, fresh):
            others = [candidates[cid] for cid in best.values()]
            evaluations += threads.map(
                lambda c, others=others: _evaluate_one(state, ctx, pool, c, others, judge), wave
            )
            best = _best(state, evaluations)
        # A candidate measured again can become its target's best, which the others
        # were not measured with: follow until no best changes, at most once a target.
        for _ in range(len(best)):
            stale = _stale(state, evaluations, best, before)
            if not stale:
                break
            before = dict(best)
            others = [candidates[cid] for cid in best.values()]
            evaluations += threads.map(
                lambda c, others=others: _evaluate_one(state, ctx, pool, c, others, judge),
                stale)
            best = _best(state, evaluations)
    update = {"evaluations": [e.dump() for e in evaluations[len(done):]], "best": best}
    return {**update, **(judge.meter.state_update() if judge else {})}


class _Judge:
    """The optional LLM judge term, metered against the run's model budget."""

    def __init__(self, ctx: RunContext, meter: Any) -> None:
        self.ctx = ctx
        self.meter = meter

    def __call__(self, target: str, original: str, content: str, m: Any) -> float | None:
        from healloop.llm.judge import llm_judge

        verdict = llm_judge(target, original, content, m.findings, self.ctx, meter=self.meter)
        return verdict.score if verdict else None


def _judge(state: HealState, ctx: RunContext) -> _Judge | None:
    """Return the judge when the run asks for one and has a model."""
    if not (ctx.judge and model_wanted(ctx)):
        return None
    from healloop.llm.budget import Meter

    return _Judge(ctx, Meter.for_run(ctx, state.get("usage")))


def _evaluate_one(
    state: HealState,
    ctx: RunContext,
    pool: queue.Queue[Workspace],
    candidate: Candidate,
    others: list[Candidate],
    judge: _Judge | None = None,
) -> Evaluation:
    """Measure one candidate with the other targets' best candidates alongside."""
    target = candidate.target
    alongside = [o for o in others if o.target != target]
    tree = compose([candidate, *alongside], lambda path: original_of(state, path))
    ids = [o.id for o in alongside]
    if tree.conflict is not None:
        clash = Gate(name="composes", passed=False,
                     detail=f"clashes with another target's best candidate in {tree.conflict}")
        return Evaluation(candidate_id=candidate.id, target=target, score=0.0, gates=[clash],
                          feedback=f"gate composes failed: {clash.detail}", alongside=ids)
    content = tree.content_of(target) or candidate.content_of(target) or ""
    # The size of the change is the candidate's own: edits the others make to this
    # file are already in the tree it is compared with.
    without = compose(alongside, lambda path: original_of(state, path))
    bar = without.content_of(target) or state["originals"][target]
    tests, passed_before = _tests(state, candidate)
    before = _before(state, candidate)
    picked = _picked(state, candidate, tree, tests, before)
    if picked is not None:
        tests = picked
    workspace = pool.get()
    try:
        m = measure(
            workspace, target, content, original=bar, tests=tests,
            passed_before=passed_before, also=[c for c in tree.changes if c.path != target],
            limits=limits_of(ctx),
        )
    finally:
        pool.put(workspace)
    if picked is not None and before is not None and m.tests is not None:
        m.tests = _with_unaffected(m.tests, before)
    m.api_breaks = _api_breaks(state, candidate, content)
    if judge is not None and all(g.passed for g in gates_of(m)):
        m.judge = judge(target, bar, content, m)
    value, gates, terms = score(m)
    return Evaluation(candidate_id=candidate.id, target=target, score=value, gates=gates,
                      terms=terms, tests=m.tests, feedback=feedback(m, gates), alongside=ids)


def _tests(state: HealState, candidate: Candidate) -> tuple[list[str], set[str]]:
    """Return the tests reaching every file the candidate changes, and which passed."""
    reviews = reviews_of(state)
    tests: list[str] = []
    passed: set[str] = set()
    for change in candidate.changes:
        report = reviews.get(change.path)
        if report is not None:
            tests += report.tests.selected if report.tests else []
            passed |= report.tests.passed if report.tests else set()
        else:
            tests += tests_for(repo_of(state), change.path)
    return list(dict.fromkeys(tests)), passed


def _before(state: HealState, candidate: Candidate) -> TestRun | None:
    """Return the reviews' runs of the targets the candidate changes, as one run."""
    reviews = reviews_of(state)
    runs = [r.tests for c in candidate.changes if (r := reviews.get(c.path)) and r.tests]
    if not runs:
        return None
    results = {r.nodeid: r for run in runs for r in run.results}
    return TestRun(results=list(results.values()))


def _picked(state: HealState, candidate: Candidate, tree: Composition, tests: list[str],
            before: TestRun | None) -> list[str] | None:
    """Return the only tests of a full run the tree's changes can affect, or None.

    With a coverage map, a change inside function bodies reaches only the tests that
    ran the lines it touches, and one to code run at import only the tests that read
    the names it binds (``affected_by``): those of every file the tree changes,
    the other targets' edits alongside included, since they change what the tests
    left out would see. The tests failing before run too, so a fix is always seen,
    and so do test files no review ran: no earlier result stands in for theirs. None
    when the selection is every test file, whole, or is empty (the score needs a run
    to compare).
    """
    radius = blast_of(state, candidate.target)
    if radius is None or radius.test_source != "coverage" or before is None:
        return None
    changes = {c.path: (original_of(state, c.path), c.content) for c in tree.changes}
    reaching = {path: _reaching(state, path) for path in changes}
    chosen = affected_by(repo_of(state), changes, reaching)
    if chosen is None:
        return None
    reviewed = {r.nodeid.split("::", 1)[0] for r in before.results}
    # A full run runs the tests reaching the candidate's own files, no others.
    chosen = [t for t in chosen if t.split("::", 1)[0] in tests]
    chosen += [f for f in tests if f not in reviewed]
    if not chosen or set(tests) <= set(chosen):
        return None
    return runnable([*chosen, *sorted(before.failing)])


def _reaching(state: HealState, path: str) -> list[str]:
    """Return the test files that reach path: its blast radius', or worked out now."""
    radius = blast_of(state, path)
    return radius.tests if radius is not None else tests_for(repo_of(state), path)


def _with_unaffected(run: TestRun, before: TestRun) -> TestRun:
    """Return run completed with the earlier results of the tests it left out.

    Those tests never ran a line the tree changes, so their outcome is the one the
    reviews measured; ``selected`` still says which tests ran.
    """
    ran = {r.nodeid for r in run.results}
    kept = [r for r in before.results if r.nodeid not in ran]
    return run.model_copy(update={"results": [*run.results, *kept]})


def _stale(state: HealState, evaluations: list[Evaluation], best: dict[str, str],
           before: dict[str, str]) -> list[Candidate]:
    """Return the candidates to measure again because another target's best changed.

    A target's candidates were measured alongside the other targets' best candidates
    of their round. When a later round finds a new best for another target (a repair
    of the module every test imports), the failures it fixes may be what held this
    target's candidates below the threshold: its highest-scoring candidate, and every
    one with failing tests, are measured again, once, with the new best alongside,
    unless they were measured with it already. A repair of a failure that goes
    through both targets fixed nothing while the other's fault was there, and
    scored below a lint fix of the same target.
    That holds for a target whose own best changed in the same round too: measured
    in an earlier wave (a module the other imports), it had the old one alongside.
    A target whose best already clears the threshold is left as it is.
    """
    changed = {target for target, cid in best.items() if before.get(target) != cid}
    if not changed:
        return []
    threshold = request_of(state).threshold
    latest = _latest(evaluations)
    candidates = candidates_of(state)
    rejected = set(state.get("rejected", []))
    top: dict[str, Evaluation] = {}
    held: list[Evaluation] = []
    for e in latest.values():
        if _refused(candidates[e.candidate_id], rejected):
            continue
        if e.target in best and latest[best[e.target]].score >= threshold:
            continue
        if e.target not in top or e.score > top[e.target].score:
            top[e.target] = e
        if e.tests is not None and e.tests.failing:
            held.append(e)
    again = {e.candidate_id: e for e in [*top.values(), *held]}
    return [candidates[cid] for cid, e in again.items()
            if {best[t] for t in changed if t != e.target} - set(e.alongside)]


def _waves(state: HealState, fresh: list[Candidate]) -> Iterator[list[Candidate]]:
    """Yield the candidates in waves: a target before those that import or share it."""
    pending = {c.target for c in fresh}
    after: dict[str, set[str]] = {t: set() for t in pending}
    for target in pending:
        blast = blast_of(state, target)
        users = {d.file for d in blast.dependents} if blast else set()
        users |= {ch.path for c in fresh if c.target == target for ch in c.changes}
        for other in pending - {target}:
            if other in users:
                after[other].add(target)
    while pending:
        ready = {t for t in pending if not after[t] & pending} or set(pending)
        yield [c for c in fresh if c.target in ready]
        pending -= ready


@contextmanager
def _workspaces(repo: Path, size: int) -> Iterator[queue.Queue[Workspace]]:
    """Yield a pool of scratch copies; each measurement borrows one and resets it."""
    pool: queue.Queue[Workspace] = queue.Queue()
    with ExitStack() as stack:
        for _ in range(size):
            pool.put(stack.enter_context(Workspace(repo)))
        yield pool


def _best(state: HealState, evaluations: list[Evaluation]) -> dict[str, str]:
    """Pick per target the candidate to propose among those that beat the original.

    The highest score wins; among candidates that all clear the threshold, the one
    whose kinds the human liked before (its learned preference) wins first. Below the
    threshold, a candidate that makes more of the original's failing tests pass wins
    first, even when its score is lower: on a large suite one more passing test moves
    the pass fraction less than the lines it changes cost, yet a partial repair is
    what the next round should build on (the second half of a fix in two places).
    """
    threshold = request_of(state).threshold
    candidates = candidates_of(state)
    rejected = set(state.get("rejected", []))
    out: dict[str, tuple[tuple[bool, float, int, float], str]] = {}
    for e in _latest(evaluations).values():
        candidate = candidates[e.candidate_id]
        if _refused(candidate, rejected) or not e.passed_gates:
            continue
        baseline = baseline_of(state, e.target)
        progress = _progress(baseline, e)
        if e.score <= baseline.score and not progress:
            continue
        clears = e.score >= threshold
        key = (clears, candidate.preference if clears else 0.0, 0 if clears else progress,
               e.score)
        if e.target not in out or key > out[e.target][0]:
            out[e.target] = (key, e.candidate_id)
    return {target: cid for target, (_, cid) in out.items()}


def _progress(baseline: Evaluation, e: Evaluation) -> int:
    """Return how many of the tests failing on the original pass on the candidate."""
    if e.tests is None or baseline.tests is None:
        return 0
    return len(e.tests.passed & baseline.tests.failing)


def _latest(evaluations: list[Evaluation]) -> dict[str, Evaluation]:
    """Return each candidate's evaluation; one measured again counts by its last."""
    return {e.candidate_id: e for e in evaluations}


def _refused(candidate: Candidate, rejected: set[str]) -> bool:
    """Return whether the human rejected the candidate, or one it was built on."""
    return candidate.id in rejected or bool(rejected & set(candidate.built_on))


def _api_breaks(state: HealState, candidate: Candidate, content: str) -> list[str]:
    """Return what the candidate breaks for dependents, after the call sites it carries."""
    blast = blast_of(state, candidate.target)
    if blast is None or not blast.dependents:
        return []
    original = state["originals"][candidate.target]
    renamed = renamed_symbols(original, content, blast.used_symbols())
    carried = {change.path for change in candidate.changes}
    used = {
        symbol: files
        for symbol, files in used_by(blast).items()
        if not (symbol.split(".")[0] in renamed and set(files) <= carried)
    }
    return api_breaks(original, content, used)
