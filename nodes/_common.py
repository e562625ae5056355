"""Small readers shared by the nodes: typed views of the JSON state."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from langgraph.runtime import Runtime

from healloop.concurrency import serialise_parsing
from healloop.context import RunContext
from healloop.sandbox import Limits
from healloop.state import (
    BlastRadius,
    Candidate,
    Evaluation,
    HealState,
    Request,
    ReviewReport,
)
from healloop.writes import read_source

# Nodes run in threads (the fan-out, --jobs): parsing must not race on CPython < 3.13.
serialise_parsing()


def context_of(runtime: Runtime[RunContext] | None) -> RunContext:
    """Return the run context, or the defaults when the caller gave none."""
    ctx = getattr(runtime, "context", None)
    if isinstance(ctx, dict):
        return RunContext(**ctx)
    return ctx or RunContext()


def limits_of(ctx: RunContext) -> Limits:
    """Return the sandbox limits the run context asks for."""
    return Limits(
        test_timeout=ctx.test_timeout, run_timeout=ctx.run_timeout, pass_env=tuple(ctx.pass_env)
    )


def workers(ctx: RunContext) -> int:
    """Return how many targets or candidates the run works on at once (--jobs)."""
    return max(1, ctx.jobs or os.cpu_count() or 1)


def original_of(state: HealState, path: str) -> str:
    """Return a file's content when the run first read it (else as it is now)."""
    known = state.get("originals", {}).get(path)
    if known is not None:
        return known
    return read_source(repo_of(state) / path)


def request_of(state: HealState) -> Request:
    """Return the validated request."""
    return Request.model_validate(state["request"])


def repo_of(state: HealState) -> Path:
    """Return the repository root."""
    return Path(state["request"]["repo"])


def reviews_of(state: HealState) -> dict[str, ReviewReport]:
    """Return the review report of each target."""
    return {k: ReviewReport.model_validate(v) for k, v in state.get("review", {}).items()}


def untested(state: Mapping[str, Any]) -> list[str]:
    """Return a note per reviewed target whose tests did not all run (pytest could not collect).

    Args:
        state: The run's state, or a node's update holding reviews.

    """
    notes = []
    for target, data in state.get("review", {}).items():
        tests = ReviewReport.model_validate(data).tests
        if tests is not None and tests.uncollected:
            notes.append(f"{target}: {tests.uncollected_text()}")
    return notes


def blast_of(state: HealState, target: str) -> BlastRadius | None:
    """Return the blast radius of a target, if it was worked out."""
    data: dict[str, Any] | None = state.get("blast_radius", {}).get(target)
    return BlastRadius.model_validate(data) if data else None


def candidates_of(state: HealState) -> dict[str, Candidate]:
    """Return every candidate by id."""
    return {c["id"]: Candidate.model_validate(c) for c in state.get("candidates", [])}


def evaluations_of(state: HealState) -> dict[str, Evaluation]:
    """Return the evaluation of every candidate by candidate id."""
    return {e["candidate_id"]: Evaluation.model_validate(e) for e in state.get("evaluations", [])}


def baseline_of(state: HealState, target: str) -> Evaluation:
    """Return the evaluation of the original target."""
    return Evaluation.model_validate(state["baseline"][target])


def reviewed(state: HealState) -> bool:
    """Return whether every target's original was evaluated, i.e. review finished.

    A run stopped in review (Ctrl-C, a kill, an error) is checkpointed without them.
    """
    done = state.get("baseline", {})
    return all(target in done for target in state["request"]["files"])


def best_score(state: HealState, target: str) -> float:
    """Return the score of the best candidate for target, or the original's."""
    best = state.get("best", {}).get(target)
    if best is None:
        return baseline_of(state, target).score
    return evaluations_of(state)[best].score


def healed(state: HealState, target: str) -> bool:
    """Return whether a candidate for target already clears the threshold."""
    return target in state.get("best", {}) and (
        best_score(state, target) >= request_of(state).threshold
    )


def proposable(state: HealState) -> dict[str, str]:
    """Return the best candidate id of each target whose best clears the threshold."""
    threshold = request_of(state).threshold
    return {
        target: cid
        for target, cid in state.get("best", {}).items()
        if best_score(state, target) >= threshold
    }


def open_targets(state: HealState) -> list[str]:
    """Return the targets generation works on: those below the threshold.

    After the human rejected some targets with feedback, only those: the others keep
    what they have, a proposal or none. After a rejection without feedback, none:
    it asks for no new candidates.
    """
    decision = state.get("decision") or {}
    files = request_of(state).files
    if decision.get("action") == "reject":
        if not decision.get("feedback"):
            return []
        if decision.get("targets"):
            files = [t for t in files if t in decision["targets"]]
    return [t for t in files if not healed(state, t)]


def measured_with_rejected(state: HealState) -> list[str]:
    """Return the best candidates whose last measurement had a now rejected one alongside.

    Their scores hold for a tree the human refused (the repair of the module every
    test imports, say): they must be measured again before they are proposed.
    """
    rejected = set(state.get("rejected", []))
    if not rejected:
        return []
    last = {e["candidate_id"]: e for e in state.get("evaluations", [])}
    return [cid for _, cid in sorted(state.get("best", {}).items())
            if cid in last and rejected & set(last[cid].get("alongside", []))]
