"""Review findings as SARIF 2.1.0, the format GitHub code scanning and IDEs read.

One run, one tool (healloop) and one rule per distinct finding code. Paths stay
relative to the repository root (``uriBaseId`` ``%SRCROOT%``), so a log made on one
machine annotates the same lines on another; no absolute path of the machine that
made it is written. Notes review could not turn into findings (a file that does not
parse, tests that could not run) become tool notifications rather than results; a
test file pytest could not collect is both a result and an error notification, and
the invocation is then not successful: the review's "no failing test" is incomplete.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from healloop import __version__
from healloop.state import Finding, ReviewReport, Severity

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SRCROOT = "%SRCROOT%"
_LEVEL: dict[Severity, str] = {"error": "error", "warning": "warning", "info": "note"}


def sarif_log(reviews: Iterable[ReviewReport]) -> dict[str, Any]:
    """Return a SARIF 2.1.0 log of the findings of these review reports.

    Args:
        reviews: One review report per target.

    Returns:
        The log as plain JSON data, valid against the SARIF 2.1.0 schema.

    """
    reviews = list(reviews)
    findings = [f for r in reviews for f in r.findings]
    rules: dict[str, dict[str, Any]] = {}
    for finding in findings:
        rules.setdefault(_rule_id(finding), _rule(finding))
    index = {rule_id: i for i, rule_id in enumerate(rules)}
    notes = [
        {"message": {"text": f"{r.target}: {note}"}, "level": "note"}
        for r in reviews
        for note in r.notes
    ]
    # Tests that never ran leave the review incomplete: the run did not succeed.
    unrun = [r for r in reviews if r.tests is not None and r.tests.uncollected]
    notes += [
        {"message": {"text": f"{r.target}: the tests reaching it did not all run: "
                             f"{r.tests.uncollected_text()}"}, "level": "error"}
        for r in unrun if r.tests is not None
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "healloop",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": list(rules.values()),
            }
        },
        "invocations": [
            {"executionSuccessful": not unrun, "toolExecutionNotifications": notes}
        ],
        "artifacts": [
            {
                "location": {"uri": quote(r.target), "uriBaseId": SRCROOT},
                "roles": ["analysisTarget"],
            }
            for r in reviews
        ],
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index[_rule_id(f)]) for f in findings],
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _rule_id(finding: Finding) -> str:
    # Test ids and syntax errors share no code space with ruff; keep them apart.
    return finding.rule if finding.source == "ruff" else f"{finding.source}/{finding.rule}"


def _rule(finding: Finding) -> dict[str, Any]:
    return {
        "id": _rule_id(finding),
        "name": finding.rule,
        "shortDescription": {"text": _first_line(finding.message)},
        "defaultConfiguration": {"level": _LEVEL[finding.severity]},
        "properties": {"tags": [finding.source]},
    }


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    start = max(finding.line, 1)
    region: dict[str, Any] = {"startLine": start, "startColumn": max(finding.column, 1)}
    if finding.end_line is not None and finding.end_line >= start:
        region["endLine"] = finding.end_line
    message = (
        finding.message if not finding.rationale else f"{finding.message}\n\n{finding.rationale}"
    )
    return {
        "ruleId": _rule_id(finding),
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(finding.file),
                    "region": region,
                }
            }
        ],
        "properties": {"source": finding.source, "fixable": finding.fixable},
    }


def _artifact(path: str) -> dict[str, str]:
    return {"uri": quote(path), "uriBaseId": SRCROOT}


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "finding")
