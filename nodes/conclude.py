"""conclude: record why a run ends without applying anything."""

from __future__ import annotations

from typing import Any

from healloop.nodes._common import best_score, request_of
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
    return {"status": "no_improvement", "reason": reason}
