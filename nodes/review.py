"""review: what is wrong with one target, measured before anything changes.

The graph fans out one review per target (LangGraph ``Send``), so targets are
reviewed in parallel, each in its own scratch copy. ``review_target`` is the work
on one target; the ``healloop review`` command calls it too, so a review written to
a file is the review the loop would have made.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NamedTuple

from langgraph.runtime import Runtime

from healloop.analysis import lint, metrics
from healloop.analysis.tests_for import tests_for
from healloop.context import RunContext
from healloop.evaluation.measure import measure
from healloop.evaluation.score import feedback, score
from healloop.llm.factory import model_wanted
from healloop.nodes._common import context_of, limits_of
from healloop.sandbox import Workspace
from healloop.sandbox.pytest_run import interpreter_note, telling_line
from healloop.state import Evaluation, Finding, ReviewReport, TargetTask, TestRun
from healloop.writes import read_source


class Reviewed(NamedTuple):
    """The review of one target, the evaluation of its original, and the source read."""

    report: ReviewReport
    baseline: Evaluation
    source: str


def review(state: TargetTask, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Review the target the fan-out sent: findings, metrics, the tests that reach it."""
    target = state["target"]
    ctx = context_of(runtime)
    done = review_target(Path(state["request"]["repo"]), target, ctx)
    update: dict[str, Any] = {"baseline": {target: done.baseline.dump()},
                              "originals": {target: done.source}}
    report = done.report
    if model_wanted(ctx):
        from healloop.llm.budget import Meter
        from healloop.llm.review import llm_review

        # The targets' reviews run at once, each on its own meter: each has its part.
        meter = Meter.for_run(ctx, share=len(state["request"]["files"]))
        findings = llm_review(report, done.source, ctx, meter=meter)
        report = report.model_copy(update={"findings": findings})
        update.update(meter.state_update())
    return {**update, "review": {target: report.dump()}}


def review_target(repo: Path, target: str, ctx: RunContext) -> Reviewed:
    """Review one target of repo in a scratch copy and score its original.

    Args:
        repo: The repository root.
        target: The target, a POSIX path relative to repo.
        ctx: The run context (sandbox limits).

    Returns:
        The review report, the original's evaluation (the bar a candidate must
        beat) and the content the review read.

    """
    source = read_source(repo / target)
    tests = tests_for(repo, target)
    with Workspace(repo) as workspace:
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
    if not lint.has_ruff_config(repo):
        report.notes.append(f"the repository configures no ruff: its findings are healloop's "
                            f"default rules ({lint.DEFAULT_SELECT})")
    if tests and (note := interpreter_note(repo)):
        report.notes.append(note)
    if m.tests and m.tests.deselected:
        alone = "" if m.tests.results else "; no other test reaches this target"
        report.notes.append(f"{m.tests.deselected} test(s) deselected by the suite's own "
                            f"options (-m or -k in addopts) did not run{alone}")
    if m.tests and m.tests.flaky:
        report.notes.append(f"flaky, counted as passed: {', '.join(m.tests.flaky[:5])} failed, "
                            "then passed when run again on the same code")
    if m.tests and m.tests.outside:
        why = {r.nodeid: r.outside for r in m.tests.results}
        shown = "; ".join(f"{t} ({why[t]})" for t in m.tests.outside[:3])
        more = f" and {len(m.tests.outside) - 3} more" if len(m.tests.outside) > 3 else ""
        report.notes.append(
            f"left out of the score and the repair, as they fail whatever the target says "
            f"(outside the project's code, or on what the environment lacks where no change "
            f"of the target reaches): {shown}{more}")
    if m.tests and m.tests.ignored:
        report.notes.append(
            f"not run, as the suite leaves them out (a conftest's collect_ignore or "
            f"pytest_ignore_collect): {', '.join(m.tests.ignored)}")
    if m.tests and m.tests.dropped_options:
        report.notes.append(
            f"tests ran without {' '.join(m.tests.dropped_options)} from the pytest "
            "configuration's addopts: the pytest they run under does not know them (a "
            "plugin that is not installed there)")
    value, gates, terms = score(m)
    baseline = Evaluation(
        candidate_id="original", target=target, score=value, gates=gates,
        terms=terms, tests=m.tests, feedback=feedback(m, gates),
    )
    return Reviewed(report, baseline, source)


def failure_line(target: str, message: str) -> int:
    """Return the line of target a failure's traceback passed through last, else 1.

    pytest ends each frame of a traceback with ``path:line:``, the deepest frame last;
    a test that fails in its own assertion never passes through the target.
    """
    found = re.findall(rf"(?m)^(?:.*/)?{re.escape(target)}:(\d+):", message)
    return int(found[-1]) if found else 1


def _test_findings(target: str, run: TestRun | None) -> list[Finding]:
    """Return a finding per failing test, and per test file pytest could not collect."""
    if run is None:
        return []
    failing = [
        Finding(file=target, line=failure_line(target, r.message), rule=r.nodeid,
                source="pytest", severity="error",
                message=f"test {r.outcome}: {r.nodeid}"
                + (f": {telling_line(r.message)[:300]}" if r.message.strip() else ""))
        for r in run.results
        if r.outcome in ("failed", "error", "timeout")
    ]
    # Tests that never ran are not passing ones: say which, and why, where it shows.
    uncollected = [
        Finding(file=target, rule=e.path or "pytest", source="pytest", severity="error",
                message=(f"{e.path} could not be collected, its tests did not run: {e.message}"
                         if e.path else f"no test could run: {e.message}"))
        for e in run.uncollected
    ]
    return failing + uncollected

