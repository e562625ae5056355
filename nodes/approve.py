"""approve: pause for a human decision on the best candidates.

The node re-runs from its top when the run resumes, so nothing before
``interrupt()`` has side effects.
"""

from __future__ import annotations

import difflib
from typing import Any

from langgraph.types import interrupt
from pydantic import ValidationError

from healloop.errors import UsageError
from healloop.nodes._common import (
    baseline_of,
    blast_of,
    candidates_of,
    evaluations_of,
    proposable,
    request_of,
)
from healloop.state import (
    ApprovalDecision,
    ApprovalRequest,
    BlastRadius,
    HealState,
    TargetProposal,
)


def approve(state: HealState) -> dict[str, Any]:
    """Ask for approval of the best candidate of each target, validate the answer."""
    answer = interrupt(approval_request(state).dump())
    try:
        decision = ApprovalDecision.model_validate(answer)
    except ValidationError as exc:
        raise UsageError(f"invalid approval decision: {exc.errors()[0]['msg']}") from None
    best = proposable(state)
    unknown = set(decision.targets or []) - set(best)
    if unknown:
        raise UsageError(f"no proposal to approve for {', '.join(sorted(unknown))}")
    if decision.action == "approve":
        return {"decision": decision.dump()}
    rejected = [best[t] for t in (decision.targets or best)]
    return {
        "decision": decision.dump(),
        "rejected": rejected,
        "best": {t: i for t, i in state.get("best", {}).items() if i not in rejected},
        "feedback": [decision.feedback] if decision.feedback else [],
    }


def approval_request(state: HealState) -> ApprovalRequest:
    """Build the payload the human sees: diffs, scores and blast radius per target."""
    request = request_of(state)
    candidates = candidates_of(state)
    evaluations = evaluations_of(state)
    proposals = []
    for target, cid in sorted(proposable(state).items()):
        candidate, evaluation = candidates[cid], evaluations[cid]
        proposals.append(
            TargetProposal(
                target=target,
                candidate_id=cid,
                engine=candidate.engine,
                diff=unified_diff(target, state["originals"][target],
                                  candidate.content_of(target) or ""),
                score=evaluation.score,
                original_score=baseline_of(state, target).score,
                terms=evaluation.terms,
                summary=candidate.summary,
                blast_radius=summarise(blast_of(state, target)),
            )
        )
    return ApprovalRequest(
        threshold=request.threshold, iteration=state.get("iteration", 0), proposals=proposals
    )


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
