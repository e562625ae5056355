"""Pure routing functions: where the run goes next, read off the state alone."""

from __future__ import annotations

from typing import Literal

from healloop.nodes._common import (
    measured_with_rejected,
    open_targets,
    proposable,
    request_of,
)
from healloop.state import HealState

AfterEvaluate = Literal["generate", "approve", "conclude"]
AfterApprove = Literal["apply", "generate", "evaluate", "approve", "conclude"]


def after_evaluate(state: HealState) -> AfterEvaluate:
    """Loop while a target is below the threshold and budget remains; else decide."""
    if not state.get("baseline") or "request" not in state:
        raise ValueError("evaluate finished on a state without request or baseline")
    request = request_of(state)
    iteration = state.get("iteration", 0)
    pending = open_targets(state)
    produced = any(c.get("iteration") == iteration for c in state.get("candidates", []))
    if pending and iteration < request.iterations and produced:
        return "generate"
    return "approve" if proposable(state) else "conclude"


def after_approve(state: HealState) -> AfterApprove:
    """Apply what was approved; loop back on rejection with feedback and budget.

    Rejecting some targets without sending them back decides nothing about the
    others: they are asked about again, measured again first when they were
    measured with a rejected candidate alongside.
    """
    decision = state.get("decision")
    if not decision:
        raise ValueError("approve finished without a decision")
    if decision["action"] == "approve":
        return "apply"
    if decision.get("feedback") and state.get("iteration", 0) < request_of(state).iterations:
        return "generate"
    if decision.get("targets") and proposable(state):
        return "evaluate" if measured_with_rejected(state) else "approve"
    return "conclude"
