"""approve: pause for a human decision on the best candidates.

The node re-runs from its top when the run resumes, so nothing before
``interrupt()`` has side effects.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import interrupt
from pydantic import ValidationError

from healloop.context import RunContext
from healloop.learning import DecisionLog, DecisionRecord
from healloop.learning.log import Verdict
from healloop.nodes._common import (
    baseline_of,
    blast_of,
    candidates_of,
    evaluations_of,
    original_of,
    proposable,
    repo_of,
    request_of,
    reviews_of,
)
from healloop.state import (
    ApprovalDecision,
    ApprovalRequest,
    BlastRadius,
    Candidate,
    Evaluation,
    HealState,
    ReviewReport,
    TargetProposal,
    TargetWithoutProposal,
)


def approve(state: HealState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Ask for approval of the best candidate of each target, validate the answer.

    An answer that is not a valid decision for these proposals is refused and the
    question asked again with the reason (``ApprovalRequest.problem``): raising
    instead would leave LangGraph replaying the refused answer on every resume.
    Feedback on a rejection of chosen targets goes to their generation only. Each
    verdict is recorded in the run's store, if it has one, for later runs to learn.
    """
    request = approval_request(state)
    answer = interrupt(request.dump())
    while isinstance(checked := check_decision(answer, request), str):
        answer = interrupt(request.model_copy(update={"problem": checked}).dump())
    decision = checked
    best = proposable(state)
    chosen = decision.targets or sorted(best)
    _remember(state, runtime, decision, [best[t] for t in chosen])
    if decision.action == "approve":
        return {"decision": decision.dump()}
    rejected = [best[t] for t in chosen]
    update: dict[str, Any] = {
        "decision": decision.dump(),
        "rejected": rejected,
        "best": {t: i for t, i in state.get("best", {}).items() if i not in rejected},
    }
    if decision.feedback and decision.targets:
        update["feedback_for"] = {t: [decision.feedback] for t in chosen}
    else:
        update["feedback"] = [decision.feedback] if decision.feedback else []
    return update


def check_decision(answer: Any, request: ApprovalRequest) -> ApprovalDecision | str:
    """Return the validated decision on request, or why answer is not one."""
    try:
        decision = ApprovalDecision.model_validate(answer)
    except ValidationError as exc:
        return f"invalid approval decision: {exc.errors()[0]['msg']}"
    shown = {p.target: p for p in request.proposals}
    chosen = decision.targets or sorted(shown)
    unknown = sorted(set(chosen) - set(shown))
    if unknown:
        why = {w.target: w.reason for w in request.without if w.reason}
        return (f"no proposal to decide on for {', '.join(unknown)}"
                + "".join(f" ({t}: {why[t]})" for t in unknown if t in why))
    if decision.action == "approve":
        for target in chosen:
            missing = sorted(set(shown[target].needs) - set(chosen))
            if missing:
                return (f"the change to {target} builds on the change to {', '.join(missing)}: "
                        "approve them together")
    elif decision.apply or decision.output:
        return "--apply and --output go with --approve"
    if decision.apply and decision.output:
        return "--output and --apply exclude each other: choose one"
    if decision.output:
        if len(chosen) != 1:
            return "--output takes one target; use --apply for several, or choose with --target"
        files = shown[chosen[0]].files
        if len(files) > 1:
            return (f"the change to {chosen[0]} is one change to {len(files)} files "
                    f"({', '.join(files)}): --output writes one; use --apply")
    return decision


def _remember(
    state: HealState, runtime: Runtime[RunContext], decision: ApprovalDecision, ids: list[str]
) -> None:
    """Record the verdict on each decided candidate in the store, when there is one.

    An approval also settles what the run's earlier rejections with feedback of the
    same target were against: the kinds the approved candidate does without.
    """
    store = getattr(runtime, "store", None)
    if store is None:
        return
    info = getattr(runtime, "execution_info", None)
    thread = getattr(info, "thread_id", None) or "unthreaded"
    candidates, evaluations = candidates_of(state), evaluations_of(state)
    reviews = reviews_of(state)
    # Feedback asks for another round, not for fewer changes of the candidate's kinds.
    verdict: Verdict = ("accepted" if decision.action == "approve"
                        else "revised" if decision.feedback else "rejected")
    records = [DecisionRecord.of(thread, verdict, candidates[cid], evaluations[cid],
                                 reviews.get(candidates[cid].target), decision.feedback)
               for cid in ids]
    log = DecisionLog(store, repo_of(state))
    log.add(records)
    if verdict == "accepted":
        log.settle(records)


def approval_request(state: HealState) -> ApprovalRequest:
    """Build the payload the human sees: diffs, scores and blast radius per target."""
    request = request_of(state)
    candidates = candidates_of(state)
    evaluations = evaluations_of(state)
    reviews = reviews_of(state)
    proposals = []
    proposed = proposable(state)
    for target, cid in sorted(proposed.items()):
        candidate, evaluation = candidates[cid], evaluations[cid]
        proposals.append(
            TargetProposal(
                target=target,
                candidate_id=cid,
                engine=candidate.engine,
                diff="".join(
                    unified_diff(c.path, original_of(state, c.path), c.content)
                    for c in candidate.changes
                ),
                files=[c.path for c in candidate.changes],
                needs=sorted({candidates[c].target for c in candidate.built_on}),
                measured_with=_measured_with(evaluation, reviews.get(target), candidates,
                                             set(proposed.values())),
                score=evaluation.score,
                original_score=baseline_of(state, target).score,
                terms=evaluation.terms,
                summary=candidate.summary,
                blast_radius=summarise(blast_of(state, target)),
            )
        )
    return ApprovalRequest(
        threshold=request.threshold, iteration=state.get("iteration", 0), proposals=proposals,
        without=[without_proposal(state, t, candidates, evaluations, reviews.get(t))
                 for t in request.files if t not in proposed],
        notes=list(dict.fromkeys(state.get("notes", []))),
    )


def _measured_with(evaluation: Evaluation, review: ReviewReport | None,
                   candidates: dict[str, Candidate], proposed: set[str]) -> list[str]:
    """Return the targets whose proposals a proposal's passing tests may rest on.

    Each candidate is measured with the other targets' best candidates in its tree;
    when tests its target's review saw failing pass there, the others' fixes may be
    what made them pass (the repair of the module every test imports).
    """
    before = review.tests.failing if review is not None and review.tests else set()
    after = evaluation.tests.failing if evaluation.tests else before
    if not before - after:
        return []
    return sorted({candidates[cid].target for cid in evaluation.alongside
                   if cid in proposed and cid in candidates})


def without_proposal(
    state: HealState,
    target: str,
    candidates: dict[str, Candidate],
    evaluations: dict[str, Evaluation],
    review: ReviewReport | None,
) -> TargetWithoutProposal:
    """Say where a target with nothing to propose stands, and why when it is known.

    Args:
        state: The run's state.
        target: A target of the run without a proposal.
        candidates: Every candidate, by id.
        evaluations: Every candidate's last evaluation, by candidate id.
        review: The target's review report.

    """
    measured = [e for e in evaluations.values() if e.target == target]
    best = evaluations.get(state.get("best", {}).get(target, ""))
    return TargetWithoutProposal(
        target=target, original_score=baseline_of(state, target).score,
        best_score=best.score if best else None, measured=len(measured),
        reason="; ".join(filter(None, [
            _withdrawn(state, target, candidates, evaluations),
            # A best below the threshold beat the original: its flaws say why it is no better.
            best.feedback.partition("\n")[0] if best else _why_no_candidate(
                state, target, measured, review),
        ])),
    )


def _withdrawn(state: HealState, target: str, candidates: dict[str, Candidate],
               evaluations: dict[str, Evaluation]) -> str:
    """Say which of the target's candidates the human rejected, and what came after.

    A rejected candidate is never offered again, even when nothing took its place
    (feedback the offline engines cannot act on, say): the user has to be told.
    """
    rejected = [candidates[cid] for cid in state.get("rejected", [])
                if cid in candidates and candidates[cid].target == target]
    if not rejected:
        return ""
    last = rejected[-1]
    said = f"you rejected {last.id} ({last.engine}: {last.summary}), not offered again"
    if any(c.target == target and c.iteration > last.iteration and c.id in evaluations
           for c in candidates.values()):
        return said
    if state.get("feedback") or state.get("feedback_for", {}).get(target):
        return f"{said}; no new candidate could be made"
    return f"{said}; a rejection without feedback asks for no new candidate"


def _why_no_candidate(state: HealState, target: str, measured: list[Evaluation],
                      review: ReviewReport | None) -> str:
    """Say why no candidate of the target beat the original: gates, scores, engines."""
    said = []
    rejected = [e.candidate_id for e in measured if e.candidate_id in state.get("rejected", [])]
    gated = [(e, g) for e in measured for g in e.gates if not g.passed]
    if gated:
        e, gate = gated[0]
        said.append(f"{len({e.candidate_id for e, _ in gated})} failed a gate, e.g. "
                    f"{e.candidate_id} {gate.name}" + (f": {gate.detail}" if gate.detail else ""))
    others = [e.score for e in measured if e.passed_gates and e.candidate_id not in rejected]
    if others:
        said.append(f"{'the others' if said else 'they'} scored at most {max(others):.2f}")
    # The engines name the target in what they say of it (e.g. a repair that found nothing):
    # before the first colon when the note is of the target itself, after it when another
    # target's note only points at it. Its own notes come first.
    named = re.compile(rf"(?<![\w./-]){re.escape(target)}(?![\w/])")
    notes = [n for n in dict.fromkeys(state.get("notes", [])) if named.search(n)]
    own = [n for n in notes if named.search(n.split(": ", 1)[0])]
    picked = (own or notes)[-2:]
    if len(picked) == 2 and picked[0].split(": ", 1)[0] == picked[1].split(": ", 1)[0]:
        picked = picked[1:]  # said again in a later round: the latest stands
    said += picked
    if review and review.tests and any(not e.path for e in review.tests.uncollected):
        said.append(review.tests.uncollected_text())  # nothing could be measured
    elif not said and review and not review.findings and not (
            review.tests and review.tests.failing):
        said.append("review found no finding and no failing test")
    return "; ".join(said)


def unified_diff(path: str, before: str, after: str) -> str:
    """Return a git-style unified diff of one file."""
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True),
            fromfile=f"a/{path}", tofile=f"b/{path}",
        )
    )


def summarise(blast: BlastRadius | None) -> str:
    """Say in one paragraph what a change to the target can reach."""
    if blast is None:
        return "blast radius unknown"
    direct = [d.module for d in blast.dependents if d.depth == 1]
    parts = [
        f"{len(blast.dependents)} dependent modules ({len(direct)} direct"
        + (f": {', '.join(direct[:5])}" if direct else "") + ")",
        f"{len(blast.tests)} test files",
        f"risk {blast.risk:.2f}",
    ]
    used = sorted(blast.used_symbols())
    if used:
        parts.append("symbols used elsewhere: " + ", ".join(used[:8]))
    return "; ".join(parts + blast.notes)
