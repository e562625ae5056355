"""evaluate: measure the new candidates and keep the best one per target."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from healloop.analysis.api import api_breaks
from healloop.context import RunContext
from healloop.evaluation.measure import measure
from healloop.evaluation.score import feedback, score
from healloop.nodes._common import (
    baseline_of,
    blast_of,
    candidates_of,
    context_of,
    evaluations_of,
    limits_of,
    repo_of,
    reviews_of,
)
from healloop.sandbox import Workspace
from healloop.state import Candidate, Evaluation, HealState


def evaluate(state: HealState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Score every candidate of this round against the original it replaces."""
    ctx = context_of(runtime)
    candidates = candidates_of(state)
    done = evaluations_of(state)
    fresh = [c for c in candidates.values() if c.id not in done]
    reviews = reviews_of(state)
    rejected = set(state.get("rejected", []))
    best = {t: i for t, i in state.get("best", {}).items() if i not in rejected}
    new: list[Evaluation] = []
    with Workspace(repo_of(state)) as workspace:
        for candidate in fresh:
            report = reviews[candidate.target]
            tests = list(report.tests.selected) if report.tests else []
            passed_before = report.tests.passed if report.tests else set()
            content = candidate.content_of(candidate.target) or ""
            others = [
                change
                for target, cid in best.items()
                if target != candidate.target
                for change in candidates[cid].changes
                if change.path != candidate.target
            ]
            m = measure(
                workspace, candidate.target, content,
                original=state["originals"][candidate.target], tests=tests,
                passed_before=passed_before, also=[*candidate.changes[1:], *others],
                limits=limits_of(ctx),
            )
            m.api_breaks = _api_breaks(state, candidate, content)
            value, gates, terms = score(m)
            new.append(
                Evaluation(candidate_id=candidate.id, target=candidate.target, score=value,
                           gates=gates, terms=terms, tests=m.tests, feedback=feedback(m, gates))
            )
    return {"evaluations": [e.dump() for e in new], "best": _best(state, [*done.values(), *new])}


def _best(state: HealState, evaluations: list[Evaluation]) -> dict[str, str]:
    """Pick per target the highest-scoring candidate that beats the original."""
    rejected = set(state.get("rejected", []))
    best: dict[str, Evaluation] = {}
    for e in evaluations:
        if e.candidate_id in rejected or not e.passed_gates:
            continue
        bar = best[e.target].score if e.target in best else baseline_of(state, e.target).score
        if e.score > bar:
            best[e.target] = e
    return {target: e.candidate_id for target, e in best.items()}


def _api_breaks(state: HealState, candidate: Candidate, content: str) -> list[str]:
    blast = blast_of(state, candidate.target)
    if blast is None or not blast.dependents:
        return []
    return api_breaks(state["originals"][candidate.target], content, blast)
