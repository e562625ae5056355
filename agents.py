"""The seed's agents as separate steps with JSON files between them.

Before healloop was one graph, its agents were separate programs: a reviewer wrote
findings, an impact analyser wrote a blast radius, a generator read both and wrote an
improved file. ``healloop review``, ``impact`` and ``generate`` keep that way of
working for scripts and CI, where each step may run on its own, be replaced by
another tool, or have its file inspected. Each step does what its node in the graph
does (the review is the review node's own ``review_target``), and the files between
them follow the JSON Schemas under ``schemas/`` and are checked when read: a file
that does not match is refused with the field named, never half used.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from healloop.context import RunContext
from healloop.engines.base import Proposal
from healloop.errors import InputError, UsageError
from healloop.state import BlastRadius, Evaluation, ReviewReport, ReviewSet

if TYPE_CHECKING:
    from healloop.evaluation.score import Measurement

ReviewFormat = Literal["json", "sarif", "md"]
ImpactFormat = Literal["json", "md", "html", "mermaid"]

REVIEW_SUFFIXES: dict[str, ReviewFormat] = {
    ".json": "json", ".sarif": "sarif", ".md": "md", ".markdown": "md",
}
"""The review format an --output file name implies when --format is not given."""
IMPACT_SUFFIXES: dict[str, ImpactFormat] = {
    ".json": "json", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html",
    ".mmd": "mermaid", ".mermaid": "mermaid",
}
"""The impact format an --output file name implies when --format is not given."""


def output_format(output: Path | None, suffixes: dict[str, Any]) -> Any:
    """Return the format an output file's suffix implies (JSON on stdout).

    Raises:
        UsageError: The suffix names none of the formats: --format says which.

    """
    if output is None:
        return "json"
    fmt = suffixes.get(output.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(suffixes))
        raise UsageError(f"--output {output}: unknown format "
                         f"{output.suffix or '(no suffix)'!r}; use {known}, or say --format")
    return fmt


def write_output(output: Path, text: str) -> None:
    """Replace output with text in one step, so no reader sees half a file."""
    from healloop.reports.write import write_text_atomic

    write_text_atomic(output, text)


# ---------------------------------------------------------------------------
# review


def review(repo: Path, targets: list[str], ctx: RunContext | None = None) -> ReviewSet:
    """Review each target as the graph's review node does, in parallel.

    Args:
        repo: The repository root.
        targets: Targets, POSIX paths relative to repo, already checked.
        ctx: The run context (sandbox limits, workers); defaults when None.

    Returns:
        One review report per target, in the order given.

    """
    from healloop.nodes._common import workers
    from healloop.nodes.review import review_target

    ctx = ctx or RunContext()
    size = min(workers(ctx), max(1, len(targets)))
    with ThreadPoolExecutor(max_workers=size) as pool:
        done = list(pool.map(lambda target: review_target(repo, target, ctx), targets))
    return ReviewSet(reviews=[d.report for d in done])


def render_reviews(reviews: ReviewSet, fmt: ReviewFormat = "json") -> str:
    """Return the reviews as JSON (a review set), SARIF 2.1.0 or Markdown."""
    if fmt == "json":
        return reviews.model_dump_json(indent=2) + "\n"
    if fmt == "sarif":
        from healloop.reports.sarif import sarif_log

        return json.dumps(sarif_log(reviews.reviews), indent=2, ensure_ascii=False) + "\n"
    if fmt == "md":
        from healloop.reports.markdown import render_review

        return render_review(reviews.reviews)
    raise UsageError(f"unknown review format {fmt!r}: use json, sarif or md")


def load_review(path: Path, target: str) -> ReviewReport:
    """Read the review of target from a file ``healloop review`` wrote, or a single review.

    The file is either a review set (``schemas/review-set.schema.json``, what
    ``healloop review`` writes) or one review report (``schemas/review.schema.json``).

    Raises:
        InputError: The file is missing, not JSON, does not match its schema (the
            field is named), or holds no review of target.

    """
    from healloop.reports.schemas import load_report

    if _holds_key(path, "reviews"):
        reviews = load_report(path, ReviewSet).reviews
    else:
        reviews = [load_report(path, ReviewReport)]
    for report in reviews:
        if report.target == target:
            return report
    held = ", ".join(r.target for r in reviews) or "nothing"
    raise InputError(f"{path} has no review of {target}; it reviews {held}")


def _holds_key(path: Path, key: str) -> bool:
    """Return whether path holds a JSON object with key; False when it cannot tell."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False  # load_report says what is wrong with the file
    return isinstance(data, dict) and key in data


# ---------------------------------------------------------------------------
# impact


def impact(repo: Path, target: str, fmt: ImpactFormat = "json", *,
           knowledge_graph: bool | None = None, coverage: bool = False,
           progress: Callable[[str], None] | None = None) -> str:
    """Return the blast radius of target as JSON, Markdown, HTML or Mermaid.

    ``knowledge_graph=True`` builds arc-memory's graph when there is none; None uses
    one that exists (see ``analyse``). ``coverage=True`` first records the coverage
    map of the current commit, which later runs use to select tests, unless one is
    stored and the working tree is the commit's; progress hears when a recording
    starts and ends (the result is the return value, never a progress message).
    """
    from healloop.analysis.blast import analyse
    from healloop.reports.impact import render

    if fmt not in IMPACT_SUFFIXES.values():
        raise UsageError(f"unknown impact format {fmt!r}: use json, md, html or mermaid")
    if coverage:
        from healloop.analysis.test_impact import ensure_coverage_map

        ensure_coverage_map(repo, progress=progress)
    return render(analyse(repo, target, knowledge_graph=knowledge_graph), fmt)


def load_impact(path: Path, target: str) -> BlastRadius:
    """Read the blast radius of target from a file ``healloop impact`` wrote.

    Raises:
        InputError: The file is missing, not JSON, does not match
            ``schemas/impact.schema.json`` (the field is named), or is about another file.

    """
    from healloop.reports.schemas import load_report

    radius = load_report(path, BlastRadius)
    if radius.target != target:
        raise InputError(f"{path} is the blast radius of {radius.target}, not of {target}")
    return radius


# ---------------------------------------------------------------------------
# generate


@dataclass
class Attempt:
    """One proposal and its measured evaluation."""

    proposal: Proposal
    evaluation: Evaluation


@dataclass
class Generation:
    """What one round of generation made of a target, measured against its original."""

    target: str
    original: str
    baseline: Evaluation
    attempts: list[Attempt] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    """Model calls, tokens and cost the proposals took (empty without a model)."""

    @property
    def best(self) -> Attempt | None:
        """Return the best attempt that passes every gate and beats the original."""
        better = [a for a in self.attempts
                  if a.evaluation.passed_gates and a.evaluation.score > self.baseline.score]
        # max keeps the first of equals: engines come cheapest first.
        return max(better, key=lambda a: a.evaluation.score, default=None)

    def diff(self) -> str:
        """Return the unified diff of the best attempt, empty without one."""
        from healloop.reports.run import unified_diff

        best = self.best
        return unified_diff(self.target, self.original, best.proposal.content) if best else ""

    def to_json(self) -> dict[str, Any]:
        """Return a summary as plain JSON data: scores, the winner and every attempt."""
        best = self.best
        return {
            "target": self.target,
            "original_score": self.baseline.score,
            "score": best.evaluation.score if best else None,
            "engine": best.proposal.engine if best else None,
            "summary": best.proposal.summary if best else None,
            "attempts": [
                {"engine": a.proposal.engine, "summary": a.proposal.summary,
                 "score": a.evaluation.score, "passed_gates": a.evaluation.passed_gates,
                 "failed_gates": [g.name for g in a.evaluation.gates if not g.passed]}
                for a in self.attempts
            ],
            "notes": self.notes,
            "usage": self.usage,
        }


def generate(
    repo: Path,
    target: str,
    review: ReviewReport,
    radius: BlastRadius,
    ctx: RunContext,
) -> Generation:
    """Ask the run's engines for proposals and measure each against the original.

    The original is measured again here, in the same scratch copy and with the same
    tests as the proposals: the file on disk, not the review, is the bar to beat.
    Proposals that would also change other files are left out, since generate writes
    one file.

    Args:
        repo: The repository root.
        target: The target, a POSIX path relative to repo.
        review: The target's review (its findings steer the engines).
        radius: The target's blast radius (its dependents guard the API).
        ctx: The run context: engine, model, sandbox limits.

    Returns:
        The original's evaluation and every proposal's, best retrievable with ``best``.

    """
    from healloop.analysis.api import api_breaks
    from healloop.analysis.tests_for import tests_for
    from healloop.engines import GenerationJob, engines_for
    from healloop.evaluation.measure import measure
    from healloop.llm.budget import Meter
    from healloop.llm.factory import model_wanted
    from healloop.nodes._common import limits_of
    from healloop.sandbox import Workspace
    from healloop.writes import read_source

    source = read_source(repo / target)
    tests = tests_for(repo, target)
    job = GenerationJob(repo=repo, target=target, source=source, original=source,
                        review=review, blast_radius=radius, iteration=1, context=ctx)
    proposals: list[Proposal] = []
    notes: list[str] = []
    # One budget for the command, as for a run: every model call is counted and held
    # to it, and what it spent is said.
    meter = Meter.for_run(ctx) if model_wanted(ctx) else None
    engines = engines_for(ctx, meter=meter)
    for proposal in (p for engine in engines for p in engine.propose(job)):
        if proposal.also:
            notes.append(f"left out {proposal.engine}'s proposal ({proposal.summary}): it also "
                         f"changes {', '.join(c.path for c in proposal.also)}")
        elif proposal.content != source and all(p.content != proposal.content
                                                for p in proposals):
            proposals.append(proposal)

    def measured(content: str, passed_before: set[str]) -> Measurement:
        m = measure(workspace, target, content, original=source, tests=tests,
                    passed_before=passed_before, limits=limits_of(ctx))
        m.api_breaks = api_breaks(source, content, radius)
        return m

    with Workspace(repo) as workspace:
        first = measured(source, set())
        # The original is held to the tests it passes itself, as in the review node.
        first.passed_before = first.tests.passed if first.tests else set()
        baseline = _evaluation("original", target, first)
        attempts = [
            Attempt(p, _evaluation(f"c{i}", target, measured(p.content, first.passed_before)))
            for i, p in enumerate(proposals, 1)
        ]
    spent = meter.state_update() if meter is not None else {}
    return Generation(target=target, original=source, baseline=baseline, attempts=attempts,
                      notes=notes + spent.get("notes", []), usage=spent.get("usage", {}))


def _evaluation(candidate_id: str, target: str, m: Measurement) -> Evaluation:
    from healloop.evaluation.score import feedback, score

    value, gates, terms = score(m)
    return Evaluation(candidate_id=candidate_id, target=target, score=value, gates=gates,
                      terms=terms, tests=m.tests, feedback=feedback(m, gates))
