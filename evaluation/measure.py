"""Measure one version of a target in a scratch copy: parse, lint, metrics, tests."""

from __future__ import annotations

import ast
from pathlib import Path

from healloop.analysis import lint, metrics
from healloop.evaluation.score import Measurement, changed_lines
from healloop.sandbox import Limits, Workspace, leave_outside, run_tests, settle_flaky
from healloop.state import FileChange, Finding


def parses(source: str) -> bool:
    """Return whether source is valid Python."""
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return True


def syntax_findings(path: str, source: str) -> list[Finding]:
    """Return the syntax error of source as a finding, if it has one."""
    try:
        ast.parse(source)
    except SyntaxError as exc:
        return [
            Finding(file=path, line=exc.lineno or 1, column=exc.offset or 1, rule="syntax",
                    source="syntax", severity="error", message=exc.msg)
        ]
    return []


def static_findings(repo: Path, path: str, source: str) -> list[Finding]:
    """Return ruff's findings, or the syntax error when the file does not parse."""
    found = syntax_findings(path, source)
    return found or lint.lint(repo, path, source)


def measure(
    workspace: Workspace,
    target: str,
    content: str,
    *,
    original: str,
    tests: list[str],
    passed_before: set[str],
    also: list[FileChange] | None = None,
    limits: Limits | None = None,
) -> Measurement:
    """Measure content as the target, with other changes applied alongside.

    Tests that fail are run once more where they matter, to tell a flaky test from a
    failure: every failing test of the original (passed_before is empty), and the
    tests a candidate breaks. Tests that fail outside the project's code, or on what
    the environment lacks in code none of the changed files reaches, and did not pass
    before are left out (sandbox.leave_outside).
    """
    ok = parses(content)
    run = None
    if tests:
        workspace.apply([FileChange(path=target, content=content), *(also or [])])
        try:
            run = run_tests(workspace, tests, limits=limits)
            run = settle_flaky(workspace, run, passed_before or run.failing, limits)
            changed = {c.path: c.content for c in also or []} | {target: content}
            run = leave_outside(run, passed_before, changed)
        finally:
            workspace.reset()
    return Measurement(
        parses=ok,
        findings=static_findings(workspace.repo, target, content),
        metrics=metrics.measure(content),
        tests=run,
        passed_before=passed_before,
        changed_lines=changed_lines(original, content),
        original_lines=len(original.splitlines()),
    )
