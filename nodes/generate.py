"""generate: new candidates for every target that is still below the threshold.

Targets are worked on in parallel (``--jobs``). A target's source builds on the best
candidates of the other targets that edit its file, so that candidates for files
that depend on each other compose. Renames the review or the human asked for are
carried to every call site in the blast radius. What the human decided in earlier
runs ranks the candidates: kinds they keep rejecting are dropped, with a note.
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langgraph.runtime import Runtime

from healloop.analysis import lint
from healloop.changeset import compose, merge
from healloop.context import RunContext
from healloop.engines import Engine, GenerationJob, Proposal, engines_for
from healloop.engines.lint_fix import DEFECTS, LintFixEngine
from healloop.engines.rename import (
    carry,
    deliberate,
    renamed_symbols,
    requested,
    stub_of,
    top_level_names,
)
from healloop.evaluation.measure import static_findings
from healloop.learning import DecisionLog, Profile, addressed, edit_kinds, finding_kind, rank
from healloop.llm.factory import model_wanted
from healloop.nodes._common import (
    blast_of,
    candidates_of,
    context_of,
    evaluations_of,
    limits_of,
    open_targets,
    original_of,
    repo_of,
    request_of,
    reviews_of,
    workers,
)
from healloop.repair.heal import candidate_timeout
from healloop.repair.order import RepairOrder, suspicion
from healloop.state import (
    Candidate,
    Evaluation,
    FileChange,
    HealState,
    ReviewReport,
    TestRun,
)

if TYPE_CHECKING:
    from healloop.llm.budget import Meter


@dataclass
class _Drafts:
    """What generation produced for one target, before candidates get their ids."""

    candidates: list[Candidate] = field(default_factory=list)
    originals: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Start:
    """Where a target's round starts: what it improves and the tests it works on."""

    source: str
    built_on: list[str]
    revealed: TestRun | None
    """The failing tests a fix let run, where review saw none (see ``_revealed``)."""


def generate(state: HealState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Ask every engine of the run for proposals; keep the new ones as candidates."""
    ctx = context_of(runtime)
    iteration = state.get("iteration", 0) + 1
    store = getattr(runtime, "store", None)
    profile = Profile.of(DecisionLog(store, repo_of(state)).records()) if store else Profile()
    pending = open_targets(state)
    meter = _meter(state, ctx)
    reviews, evaluations = reviews_of(state), evaluations_of(state)
    starts = {t: _start(state, t, reviews[t], evaluations) for t in pending}
    repairs = _repair_order(state, starts, ctx)

    def drafts_of(target: str) -> _Drafts:
        try:
            return _for_target(state, target, starts[target], ctx, iteration, profile, meter,
                               repairs)
        finally:
            repairs.finished(target)  # whatever happened, no other target waits for it

    with ThreadPoolExecutor(max_workers=workers(ctx)) as pool:
        drafts = list(pool.map(drafts_of, repairs.first(pending)))
    new: list[dict[str, Any]] = []
    update: dict[str, Any] = {"iteration": iteration, "originals": {}, "notes": []}
    count = len(state.get("candidates", []))
    for draft in drafts:
        for candidate in draft.candidates:
            new.append(candidate.model_copy(update={"id": f"c{count + len(new) + 1}"}).dump())
        update["originals"].update(draft.originals)
        update["notes"].extend(draft.notes)
    if meter is not None:
        spent = meter.state_update()
        update["notes"].extend(spent.get("notes", []))
        if "usage" in spent:
            update["usage"] = spent["usage"]
    return {"candidates": new, **update}


def _meter(state: HealState, ctx: RunContext) -> Meter | None:
    """Return the meter this round's model calls share, or None when the run has no model.

    It starts from what the run spent before (review, earlier rounds, the judge), so
    the token and cost limits hold for the run, not for each round or each target.
    """
    if not model_wanted(ctx):
        return None
    from healloop.llm.budget import Meter

    return Meter.for_run(ctx, state.get("usage"))


def _for_target(
    state: HealState,
    target: str,
    start: _Start,
    ctx: RunContext,
    iteration: int,
    profile: Profile,
    meter: Meter | None,
    repairs: RepairOrder,
) -> _Drafts:
    """Propose, carry and rank the candidates of one target."""
    drafts = _Drafts()
    known = candidates_of(state)
    job = _job(state, target, start, ctx, iteration, profile, drafts.notes)
    job.repairs = repairs
    job.alongside = _alongside(state, target, known)
    seen = {c.content_of(target) for c in known.values() if c.target == target}
    seen.add(state["originals"][target])
    findings = reviews_of(state)[target].findings  # all of them, also those left alone
    fresh: list[Candidate] = []
    for proposal in _proposals(job, engines_for(ctx, meter=meter)):
        if proposal.content in seen:
            continue
        seen.add(proposal.content)
        also = [*proposal.also, *_carried(state, job, proposal, drafts)]
        fresh.append(Candidate(
            id="", target=target, engine=proposal.engine, iteration=iteration,
            changes=[FileChange(path=target, content=proposal.content), *also],
            summary=proposal.summary, edits=proposal.edits, stats=proposal.stats,
            kinds=edit_kinds(proposal.engine, proposal.edits),
            addresses=addressed(findings, static_findings(job.repo, target, proposal.content)),
            built_on=start.built_on,
        ))
    ranking = rank(fresh, profile)
    drafts.candidates = ranking.kept
    drafts.notes.extend(ranking.notes)
    return drafts


def _repair_order(state: HealState, starts: dict[str, _Start], ctx: RunContext
                  ) -> RepairOrder:
    """Return the order of this round's repairs of targets that fail the same tests.

    A target whose failing tests all pass in the evaluation of another target's best
    candidate needs no repair: that candidate fixed them. The others that share
    failing tests (those review saw, or those a fix revealed) are ranked by fault
    localisation over all of them at once, on the versions their repairs start from.
    """
    order = RepairOrder()
    if ctx.engine not in ("offline", "auto"):
        return order
    reviews, evaluations = reviews_of(state), evaluations_of(state)
    runs: dict[str, TestRun] = {}
    for t, start in starts.items():
        run = start.revealed or reviews[t].tests
        if run is not None and run.failing:
            runs[t] = run
    failing = {t: frozenset(run.failing) for t, run in runs.items()}
    for target, tests in failing.items():
        for other, cid in sorted(state.get("best", {}).items()):
            run = evaluations[cid].tests
            if other != target and run is not None and tests <= run.passed:
                order.settled[target] = (f"its {len(tests)} failing test(s) pass with the best "
                                         f"candidate of {other} ({cid})")
                break
    open_ = {t: tests for t, tests in failing.items() if t not in order.settled}
    shared = {t: tests for t, tests in open_.items()
              if any(tests & other for u, other in open_.items() if u != t)}
    if len(shared) < 2:
        return order
    run = TestRun(results=list({r.nodeid: r for t in shared for r in runs[t].results}.values()))
    order.failing = shared
    order.suspicion = suspicion(
        repo_of(state), {t: starts[t].source for t in shared}, run,
        limits=limits_of(ctx), timeout=candidate_timeout(run, ctx.test_timeout),
    )
    return order


def _start(state: HealState, target: str, report: ReviewReport,
           evaluations: dict[str, Evaluation]) -> _Start:
    source, built_on = _source(state, target)
    return _Start(source, built_on, _revealed(state, target, report, evaluations))


def _source(state: HealState, target: str) -> tuple[str, list[str]]:
    """Return the content to improve and the other targets' candidates it builds on.

    That is the target's best candidate (or the original) with the edits that the
    best candidates of other targets make to this file merged in, where they merge.
    """
    known = candidates_of(state)
    best = state.get("best", {})
    original = state["originals"][target]
    own = known[best[target]] if target in best else None
    source = (own.content_of(target) if own else None) or original
    built_on = list(own.built_on) if own else []
    for other, cid in sorted(best.items()):
        version = known[cid].content_of(target)
        if other == target or cid in built_on or version is None:
            continue
        merged = merge(original, [source, version])
        if merged is not None:
            source = merged
            built_on.append(cid)
    return source, built_on


def _job(
    state: HealState,
    target: str,
    start: _Start,
    ctx: RunContext,
    iteration: int,
    profile: Profile,
    notes: list[str],
) -> GenerationJob:
    """Build the generation job: evaluator, human and learned feedback included."""
    report = reviews_of(state)[target]
    evaluations = evaluations_of(state)
    if start.revealed is not None:
        report = report.model_copy(update={"tests": start.revealed})
    avoid = profile.skipped_findings()
    left = sorted({finding_kind(f) for f in report.findings} & avoid)
    if left:
        report = report.model_copy(
            update={"findings": [f for f in report.findings if finding_kind(f) not in avoid]}
        )
        notes.extend(
            f"left {kind} findings in {target} alone: you {profile.explain('findings', kind)}"
            for kind in left
        )
    human = [*state.get("feedback", []), *state.get("feedback_for", {}).get(target, [])]
    if human and not model_wanted(ctx) and not requested(ReviewReport(target=target), human):
        notes.append(f"the offline engines act on feedback only to rename (\"rename X to Y\"): "
                     f"your feedback on {target} needs a model (--engine llm with a key or "
                     "--base-url)")
    history = [e for e in evaluations.values() if e.target == target]
    return GenerationJob(
        repo=repo_of(state), target=target, source=start.source,
        original=state["originals"][target], review=report,
        blast_radius=blast_of(state, target), iteration=iteration, context=ctx,
        history=history, leave_alone=left, notes=notes,
        targets=tuple(request_of(state).files),
        feedback=[
            *(e.feedback for e in history[-3:] if e.feedback),
            *human,
            *(f"earlier feedback on {target}: {text}" for text in profile.feedback_on(target)),
            *([f"leave {', '.join(left)} findings as they are: the human rejected fixes for "
               "them"] if left else []),
        ],
    )


def _alongside(state: HealState, target: str, known: dict[str, Candidate]
               ) -> list[FileChange]:
    """Return the other targets' best candidates' changes to files other than target.

    Evaluate measures the target's candidates in a tree with those changes: a
    repair works on the failures they leave (the others' own faults fail the same
    tests), not on all the failures review saw.
    """
    others = [known[cid] for other, cid in sorted(state.get("best", {}).items())
              if other != target]
    tree = compose(others, functools.partial(original_of, state))
    return [] if tree.conflict else [c for c in tree.changes if c.path != target]


def _revealed(state: HealState, target: str, report: ReviewReport,
              evaluations: dict[str, Evaluation]) -> TestRun | None:
    """Return the target's tests that fail once a fix lets them run, where review saw none.

    A fix that lets the tests import the target again (a syntax error, a broken
    import) reveals failures the review could not see, since pytest never collected
    those tests: the next round works on them as if review had found them. The fix
    may be the target's own best candidate, or another target's (a module the
    target's tests import too), whose run holds the target's tests as well.
    """
    if report.tests is not None and report.tests.failing:
        return None
    best = state.get("best", {})
    own = evaluations.get(best[target]) if target in best else None
    if own is not None and own.tests is not None and own.tests.failing:
        return own.tests
    blast = blast_of(state, target)
    mine = set(blast.tests) if blast is not None else set()
    for other, cid in sorted(best.items()):
        run = evaluations[cid].tests if other != target and cid in evaluations else None
        if run is None:
            continue
        revealed = TestRun(results=[r for r in run.results if r.nodeid.split("::", 1)[0] in mine])
        if revealed.failing:
            return revealed
    return None


def _carried(
    state: HealState, job: GenerationJob, proposal: Proposal, drafts: _Drafts
) -> list[FileChange]:
    """Carry the renames a proposal makes to the call sites, when they were asked for."""
    blast = job.blast_radius
    if blast is None:
        return []
    read = functools.partial(original_of, state)
    # Names a dependent uses, and names the target's stub declares again.
    declared = set(top_level_names(stub_of(job.target, read)[1]))
    renames = renamed_symbols(job.original, proposal.content, blast.used_symbols() | declared)
    if not deliberate(renames, requested(job.review, job.feedback)):
        return []
    if request_of(state).output:
        drafts.notes.append(
            f"did not carry the rename in {job.target} to its call sites: --output writes "
            "one file; use --apply"
        )
        return []
    changes = carry(renames, blast, read)
    drafts.originals.update(
        (c.path, original_of(state, c.path)) for c in changes
        if c.path not in state.get("originals", {})
    )
    return [c for c in changes if c.path not in {a.path for a in proposal.also}]


def _proposals(job: GenerationJob, engines: list[Engine]) -> list[Proposal]:
    """Collect every engine's proposals, each also polished by ruff's safe fixes of defects.

    Fixes of defects only (an unused import, a bare except): style fixes (imports
    sorted, syntax upgraded) anywhere in the file are not what another engine's fix is
    about, and the ruff engine offers them on their own.
    """
    proposals = [p for engine in engines for p in engine.propose(job)]
    if not any(isinstance(e, LintFixEngine) for e in engines):
        return proposals
    polished = []
    for p in proposals:
        if p.engine == LintFixEngine.name:
            continue
        fixed = lint.fix(job.repo, job.target, p.content,
                         unfixable=lint.rule_codes(job.leave_alone), only=DEFECTS)
        if fixed != p.content:
            polished.append(
                Proposal(content=fixed, engine=f"{p.engine}+ruff",
                         summary=f"{p.summary}; ruff fixes of defects",
                         edits=[*p.edits, "ruff safe fixes of defects"],
                         stats=p.stats, also=p.also)
            )
    return proposals + polished

