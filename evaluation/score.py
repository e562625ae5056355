"""The score of a candidate: hard gates, then weighted terms in [0, 1].

    score = (0.6 * tests + 0.2 * lint + 0.1 * complexity + 0.1 * diff [+ 0.1 * judge])
            / (sum of the weights of the terms that apply)

- tests: 1.0 when every test that reaches the target passes, else half the pass
  fraction, so any failing test keeps the score below 0.7. A test file (or conftest
  folder) pytest could not collect counts as one failing test, and a run in which no
  test could run scores 0: tests that did not run never pass for clean. Left out (and
  its weight with it) when no test reaches the target.
- lint: 1 - weighted findings / allowance (error 3, warning 1, info 0.25; the
  allowance is max(5, code lines / 20)), floored at 0.
- complexity: 1.0 while the most complex function has cyclomatic complexity <= 10,
  falling linearly to 0 at 30.
- diff: 1 - changed lines / max(10, half the original's lines), floored at 0.
- judge: the LLM judge's score, only when asked for.

A candidate that fails a gate (it does not parse, a test that passed before fails
or no longer collects, a symbol a dependent uses is removed or changed) scores 0
whatever its terms.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field

from healloop.state import Finding, Gate, Metrics, ScoreTerm, TestRun

WEIGHTS = {"tests": 0.6, "lint": 0.2, "complexity": 0.1, "diff": 0.1, "judge": 0.1}
_SEVERITY_WEIGHT = {"error": 3.0, "warning": 1.0, "info": 0.25}


@dataclass
class Measurement:
    """What was measured of one version of a target."""

    parses: bool
    findings: list[Finding]
    metrics: Metrics
    tests: TestRun | None = None
    passed_before: set[str] = field(default_factory=set)
    changed_lines: int = 0
    original_lines: int = 0
    api_breaks: list[str] = field(default_factory=list)
    judge: float | None = None


def changed_lines(before: str, after: str) -> int:
    """Return how many lines were removed or added between two versions."""
    return sum(
        1
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="")
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )


def tests_term(run: TestRun | None) -> ScoreTerm | None:
    """Score the tests that reach the target; None when there are none."""
    if run is None:
        return None
    uncollected = run.uncollected
    total = len([r for r in run.results if r.outcome != "skipped"]) + len(uncollected)
    if total == 0:
        return None
    passed = len(run.passed)
    value = 1.0 if passed == total else 0.5 * passed / total
    detail = f"{passed}/{total - len(uncollected)} pass"
    if uncollected:
        detail += f"; {run.uncollected_text()}"
    return ScoreTerm(name="tests", weight=WEIGHTS["tests"], value=value, detail=detail)


def lint_term(findings: list[Finding], metrics: Metrics) -> ScoreTerm:
    """Score lint and syntax findings against an allowance that grows with size."""
    weight = sum(_SEVERITY_WEIGHT[f.severity] for f in findings)
    allowance = max(5.0, metrics.code_lines / 20)
    return ScoreTerm(
        name="lint",
        weight=WEIGHTS["lint"],
        value=max(0.0, 1 - weight / allowance),
        detail=f"{len(findings)} findings",
    )


def complexity_term(metrics: Metrics) -> ScoreTerm:
    """Score the cyclomatic complexity of the most complex function."""
    value = min(1.0, max(0.0, 1 - (metrics.max_complexity - 10) / 20))
    return ScoreTerm(
        name="complexity",
        weight=WEIGHTS["complexity"],
        value=value,
        detail=f"max {metrics.max_complexity}",
    )


def diff_term(changed: int, original_lines: int) -> ScoreTerm:
    """Score the size of the change: small changes are easier to trust."""
    value = max(0.0, 1 - changed / max(10.0, original_lines / 2))
    return ScoreTerm(name="diff", weight=WEIGHTS["diff"], value=value, detail=f"{changed} lines")


def broken_tests(before: set[str], run: TestRun) -> list[str]:
    """Return the tests that passed before and do not pass in run.

    A parametrized case whose id is built from a value that changes from run to run
    (``datetime.now()``) has a new id in every run: a case that did not run is paired
    with a passing case of the same function whose id is new, and only a case left
    over, or one that ran and did not pass, is broken.
    """
    missing = before - run.passed
    ran = {r.nodeid for r in run.results}
    broken = {t for t in missing if t in ran or "[" not in t}
    fresh = Counter(t.split("[", 1)[0] for t in run.passed - before if "[" in t)
    for case in sorted(missing - broken):
        function = case.split("[", 1)[0]
        if fresh[function]:
            fresh[function] -= 1
        else:
            broken.add(case)
    return sorted(broken)


def gates(m: Measurement) -> list[Gate]:
    """Return the hard gates of a measurement."""
    result = [Gate(name="parses", passed=m.parses, detail="" if m.parses else "syntax error")]
    if m.tests is not None:
        broken = broken_tests(m.passed_before, m.tests)
        more = f" and {len(broken) - 5} more" if len(broken) > 5 else ""
        detail = ("broke " + ", ".join(broken[:5]) + more) if broken else ""
        if any(not m.tests.collects(t) for t in broken):
            detail += f"; {m.tests.uncollected_text()}"
        result.append(Gate(name="no_regression", passed=not broken, detail=detail))
    result.append(
        Gate(name="api_compatible", passed=not m.api_breaks, detail="; ".join(m.api_breaks))
    )
    return result


def score(m: Measurement) -> tuple[float, list[Gate], list[ScoreTerm]]:
    """Return the score in [0, 1], the gates and the terms of a measurement."""
    terms = [
        t
        for t in (
            tests_term(m.tests),
            lint_term(m.findings, m.metrics),
            complexity_term(m.metrics),
            diff_term(m.changed_lines, m.original_lines),
        )
        if t is not None
    ]
    if m.judge is not None:
        terms.append(ScoreTerm(name="judge", weight=WEIGHTS["judge"], value=m.judge))
    checks = gates(m)
    if not all(g.passed for g in checks):
        return 0.0, checks, terms
    total = sum(t.weight for t in terms)
    value = sum(t.weight * t.value for t in terms) / total
    return round(value, 4), checks, terms


def feedback(m: Measurement, checks: list[Gate]) -> str:
    """Say in a few words what the next candidate should fix."""
    notes = [f"gate {g.name} failed: {g.detail}" for g in checks if not g.passed]
    if m.tests is not None and m.tests.failing:
        notes.append("failing tests: " + ", ".join(sorted(m.tests.failing)[:5]))
    if m.tests is not None and m.tests.uncollected:
        notes.append(m.tests.uncollected_text())
    if m.findings:
        notes.append(
            "lint: " + "; ".join(f"{f.line}: {f.rule} {f.message}" for f in m.findings[:5])
        )
    return "\n".join(notes)
