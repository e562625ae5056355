"""The run report: the whole state of a run as one typed, documented JSON document.

The graph state is plain JSON checked by each node as it reads it; a report leaves
the process, so it is validated as a whole against ``RunReport``, whose JSON Schema
ships as ``schemas/report.schema.json``. Next to the state it carries what a reader
wants first and would otherwise recompute: per target, the original and best scores
and the diff of the best candidate.
"""

from __future__ import annotations

import difflib
from typing import Any, Literal

from pydantic import Field

from healloop import __version__
from healloop.state import (
    ApprovalDecision,
    BlastRadius,
    Candidate,
    Evaluation,
    Report,
    Request,
    ReviewReport,
    RunStatus,
    ScoreTerm,
)

REPORT_VERSION = 1
"""Bumped when a field changes meaning or goes away; new fields keep it."""


class TargetOutcome(Report):
    """Where one target ended: the best candidate against the original."""

    target: str
    original_score: float | None = Field(None, description="Score of the original file.")
    best_candidate: str | None = Field(None, description="Id of the best candidate, if any.")
    best_score: float | None = None
    engine: str | None = Field(None, description="Generator of the best candidate.")
    summary: str = ""
    diff: str = Field("", description="Unified diff from the original to the best candidate.")


class RunReport(Report):
    """Everything a run knows, validated: request, reports, candidates, verdicts."""

    kind: Literal["healloop-run-report"] = "healloop-run-report"
    version: int = Field(REPORT_VERSION, description="Version of this document's layout.")
    healloop: str = Field(__version__, description="healloop version that wrote it.")
    thread_id: str | None = Field(None, description="Checkpointer thread of the run.")
    status: RunStatus = "running"
    reason: str = ""
    request: Request
    settings: dict[str, Any] = Field(default={}, description="Run context minus secrets.")
    iteration: int = Field(0, description="Generate/evaluate rounds done.")
    targets: list[TargetOutcome] = Field(default=[], description="Outcome per target.")
    originals: dict[str, str] = Field(default={}, description="Original content by path.")
    review: dict[str, ReviewReport] = {}
    blast_radius: dict[str, BlastRadius] = {}
    baseline: dict[str, Evaluation] = Field(default={}, description="Originals' evaluations.")
    candidates: list[Candidate] = []
    evaluations: list[Evaluation] = []
    best: dict[str, str] = Field(default={}, description="Best candidate id per target.")
    rejected: list[str] = Field(default=[], description="Candidate ids the human rejected.")
    feedback: list[str] = Field(default=[], description="The human's feedback on rejection.")
    feedback_for: dict[str, list[str]] = Field(
        default={}, description="The human's feedback for single targets, by target."
    )
    notes: list[str] = Field(
        default=[], description="What the run did differently because of past decisions."
    )
    usage: dict[str, float] = Field(
        default={}, description="Model calls, tokens_in, tokens_out and cost (USD)."
    )
    decision: ApprovalDecision | None = None
    written: list[str] = Field(default=[], description="Paths written after approval.")

    def candidate(self, candidate_id: str) -> Candidate | None:
        """Return the candidate with that id, if any."""
        return next((c for c in self.candidates if c.id == candidate_id), None)

    def evaluation(self, candidate_id: str) -> Evaluation | None:
        """Return the evaluation of the candidate with that id, if any."""
        return next((e for e in self.evaluations if e.candidate_id == candidate_id), None)

    def findings(self) -> int:
        """Return how many findings review reported over all targets."""
        return sum(len(r.findings) for r in self.review.values())


def run_report(
    state: dict[str, Any], *, thread_id: str | None = None, status: RunStatus | None = None
) -> RunReport:
    """Validate a run's state and add the per-target outcomes.

    Args:
        state: The graph state (``HealState``) as the checkpointer holds it.
        thread_id: The run's thread, when known.
        status: Overrides the state's status, e.g. ``awaiting_approval`` for a run
            paused at the approval interrupt (the state itself still says running).

    Returns:
        The validated report.

    Raises:
        pydantic.ValidationError: The state does not have the documented shape.

    """
    values = {k: v for k, v in state.items() if k in RunReport.model_fields}
    report = RunReport.model_validate(
        {**values, "thread_id": thread_id, "status": status or state.get("status") or "running"}
    )
    report.targets = [_outcome(report, target) for target in report.request.files]
    return report


def _outcome(report: RunReport, target: str) -> TargetOutcome:
    baseline = report.baseline.get(target)
    outcome = TargetOutcome(target=target, original_score=baseline.score if baseline else None)
    best_id = report.best.get(target)
    best = report.candidate(best_id) if best_id else None
    if best is None:
        return outcome
    evaluation = report.evaluation(best.id)
    after = best.content_of(target)
    before = report.originals.get(target)
    diff = "" if after is None or before is None else unified_diff(target, before, after)
    return outcome.model_copy(
        update={
            "best_candidate": best.id,
            "best_score": evaluation.score if evaluation else None,
            "engine": best.engine,
            "summary": best.summary,
            "diff": diff,
        }
    )


def unified_diff(path: str, before: str, after: str) -> str:
    """Return a git-style unified diff of one file."""
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )


class ScoreRow(Report):
    """One line of a target's score table: the original or one candidate."""

    round: int = Field(description="0 for the original, else the generation round.")
    candidate_id: str
    engine: str
    score: float
    terms: list[ScoreTerm] = []
    failed_gates: list[str] = Field(default=[], description="Each gate that failed, with what "
                                    "it found: 'no_regression: broke tests/t.py::test_x'.")
    best: bool = False
    rejected: bool = False


def score_rows(report: RunReport, target: str) -> list[ScoreRow]:
    """Return the original's score and each candidate's, by round, for one target."""
    rows = []
    baseline = report.baseline.get(target)
    if baseline is not None:
        rows.append(_row(baseline, 0, "original", report))
    for evaluation in report.evaluations:
        candidate = report.candidate(evaluation.candidate_id)
        if evaluation.target != target or candidate is None:
            continue
        rows.append(_row(evaluation, candidate.iteration, candidate.engine, report))
    return sorted(rows, key=lambda r: r.round)


def _row(evaluation: Evaluation, round_: int, engine: str, report: RunReport) -> ScoreRow:
    cid = evaluation.candidate_id
    return ScoreRow(
        round=round_,
        candidate_id=cid,
        engine=engine,
        score=evaluation.score,
        terms=evaluation.terms,
        failed_gates=[f"{g.name}: {g.detail}" if g.detail else g.name
                      for g in evaluation.gates if not g.passed],
        best=report.best.get(evaluation.target) == cid,
        rejected=cid in report.rejected,
    )


def usage_text(usage: dict[str, float]) -> str:
    """Say how much of the model a run used: calls, tokens and cost."""
    parts = [f"{int(usage.get('calls', 0))} calls"]
    if "tokens_in" in usage or "tokens_out" in usage:
        parts.append(
            f"{int(usage.get('tokens_in', 0))} tokens in, {int(usage.get('tokens_out', 0))} out"
        )
    if usage.get("cost"):
        parts.append(f"${usage['cost']:.4f}")
    return ", ".join(parts)
