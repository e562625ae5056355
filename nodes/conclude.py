"""conclude: record why a run ends without applying anything."""

from __future__ import annotations

from typing import Any

from healloop.nodes._common import best_score, evaluations_of, request_of
from healloop.state import HealState


def conclude(state: HealState) -> dict[str, Any]:
    """Set the final status and its reason for a run that writes nothing."""
    request = request_of(state)
    decision = state.get("decision")
    if decision and decision.get("action") == "reject":
        return {"status": "rejected", "reason": "the human rejected the candidate"}
    scores = ", ".join(f"{t} {best_score(state, t):.2f}" for t in request.files)
    improved = bool(state.get("best"))
    reason = (
        f"best score below threshold {request.threshold:.2f} after "
        f"{state.get('iteration', 0)} of {request.iterations} rounds ({scores})"
        if improved
        else f"no candidate improved on the original ({scores})"
    )
    evaluations = evaluations_of(state)
    refused = [(e, g) for e in evaluations.values() for g in e.gates if not g.passed]
    notes = []
    if refused:
        # A candidate that would have scored well may have been held back: say by what.
        said = [f"{e.candidate_id} ({e.target}) failed {g.name}"
                + (f": {g.detail}" if g.detail else "") for e, g in refused]
        held = {e.candidate_id for e, _ in refused}
        reason += (f"; {len(held)} of {len(evaluations)} candidate(s) failed a gate, e.g. "
                   f"{said[0]}")
        notes = said[:10]
    return {"status": "no_improvement", "reason": reason, "notes": notes}
