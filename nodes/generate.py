"""generate: new candidates for every target that is still below the threshold."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from healloop.analysis import lint
from healloop.context import RunContext
from healloop.engines import Engine, GenerationJob, Proposal, engines_for
from healloop.engines.lint_fix import LintFixEngine
from healloop.nodes._common import (
    blast_of,
    candidates_of,
    context_of,
    evaluations_of,
    healed,
    repo_of,
    reviews_of,
)
from healloop.state import Candidate, FileChange, HealState


def generate(state: HealState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Ask every engine of the run for proposals; keep the new ones as candidates."""
    ctx = context_of(runtime)
    repo = repo_of(state)
    iteration = state.get("iteration", 0) + 1
    known = candidates_of(state)
    evaluations = evaluations_of(state)
    seen = {(c.target, c.content_of(c.target)) for c in known.values()}
    new: list[dict[str, Any]] = []
    for target, report in reviews_of(state).items():
        if healed(state, target):
            continue
        original = state["originals"][target]
        seen.add((target, original))
        best = state.get("best", {}).get(target)
        source = known[best].content_of(target) if best else original
        history = [e for e in evaluations.values() if e.target == target]
        job = GenerationJob(
            repo=repo, target=target, source=source or original, original=original,
            review=report, blast_radius=blast_of(state, target), iteration=iteration,
            context=ctx, history=history,
            feedback=[*(e.feedback for e in history[-3:] if e.feedback),
                      *state.get("feedback", [])],
        )
        for proposal in _proposals(job, engines_for(ctx)):
            if (target, proposal.content) in seen:
                continue
            seen.add((target, proposal.content))
            candidate = Candidate(
                id=f"c{len(known) + len(new) + 1}", target=target, engine=proposal.engine,
                iteration=iteration,
                changes=[FileChange(path=target, content=proposal.content), *proposal.also],
                summary=proposal.summary, edits=proposal.edits, stats=proposal.stats,
            )
            new.append(candidate.dump())
    return {"candidates": new, "iteration": iteration}


def _proposals(job: GenerationJob, engines: list[Engine]) -> list[Proposal]:
    """Collect every engine's proposals, each also polished by ruff's safe fixes."""
    proposals = [p for engine in engines for p in engine.propose(job)]
    if not any(isinstance(e, LintFixEngine) for e in engines):
        return proposals
    polished = []
    for p in proposals:
        if p.engine == LintFixEngine.name:
            continue
        fixed = lint.fix(job.repo, job.target, p.content)
        if fixed != p.content:
            polished.append(
                Proposal(content=fixed, engine=f"{p.engine}+ruff", summary=f"{p.summary}; ruff fixes",
                         edits=[*p.edits, "ruff safe fixes"], stats=p.stats, also=p.also)
            )
    return proposals + polished
