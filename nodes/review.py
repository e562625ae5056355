"""review: what is wrong with each target, measured before anything changes."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from healloop.analysis import metrics
from healloop.analysis.tests_for import tests_for
from healloop.context import RunContext
from healloop.evaluation.measure import measure
from healloop.evaluation.score import feedback, score
from healloop.nodes._common import context_of, limits_of, repo_of, request_of
from healloop.sandbox import Workspace
from healloop.state import Evaluation, Finding, HealState, ReviewReport


def review(state: HealState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Review every target: findings, metrics, and the tests that reach it."""
    ctx = context_of(runtime)
    repo = repo_of(state)
    reports: dict[str, Any] = {}
    baseline: dict[str, Any] = {}
    originals: dict[str, str] = {}
    with Workspace(repo) as workspace:
        for target in request_of(state).files:
            source = (repo / target).read_text(encoding="utf-8")
            originals[target] = source
            tests = tests_for(repo, target)
            m = measure(workspace, target, source, original=source, tests=tests,
                        passed_before=set(), limits=limits_of(ctx))
            m.passed_before = m.tests.passed if m.tests else set()
            report = ReviewReport(
                target=target,
                parses=m.parses,
                findings=[*m.findings, *_test_findings(target, m.tests)],
                metrics=metrics.measure(source),
                tests=m.tests,
                notes=[] if tests else ["no test reaches this target"],
            )
            value, gates, terms = score(m)
            reports[target] = report.dump()
            baseline[target] = Evaluation(
                candidate_id="original", target=target, score=value, gates=gates,
                terms=terms, tests=m.tests, feedback=feedback(m, gates),
            ).dump()
    return {"review": reports, "baseline": baseline, "originals": originals,
            "status": "running"}


def _test_findings(target: str, run: Any) -> list[Finding]:
    if run is None:
        return []
    return [
        Finding(file=target, rule=r.nodeid, source="pytest", severity="error",
                message=f"test {r.outcome}: {r.nodeid}")
        for r in run.results
        if r.outcome in ("failed", "error", "timeout")
    ]

