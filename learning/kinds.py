"""Kinds of edits and of findings: the vocabulary decisions are learned in.

A decision is about one candidate, but what a human likes or dislikes is a kind of
change ("do not reformat my files", "keep typing.Dict, we support Python 3.8"). Kinds
are coarse on purpose, so that a decision on one file teaches something about the
next.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from healloop.state import Finding

_EDIT_PREFIXES = (
    ("ruff format", "format"),
    ("ruff fixes", "lint-fix"),
    ("ruff safe fixes", "lint-fix"),
    ("rename", "rename"),
)


def edit_kinds(engine: str, edits: Sequence[str]) -> list[str]:
    """Return the kinds of a candidate's edits, from its engine and its edits in words.

    Edits the table does not know count as the engine's own kind ("repair", "llm").
    """
    kinds: list[str] = []
    for text in edits:
        lowered = text.strip().lower()
        kind = next((k for prefix, k in _EDIT_PREFIXES if lowered.startswith(prefix)), None)
        kinds.append(kind or engine.split("+")[0])
    return list(dict.fromkeys(kinds or [engine.split("+")[0]]))


def finding_kind(finding: Finding) -> str:
    """Return the kind of a finding: its ruff code, 'syntax', 'failing-test', 'llm:rule'."""
    if finding.source in ("ruff", "syntax"):
        return finding.rule
    if finding.source == "pytest":
        return "failing-test"
    if finding.source == "llm":
        return f"llm:{finding.rule}"
    return finding.source


def addressed(before: Iterable[Finding], after: Iterable[Finding]) -> list[str]:
    """Return the kinds of finding that are fewer after a change than before it.

    after is what the analysers found in the changed file, so only theirs count from
    before: a failing test or a model's finding is not gone because no analyser
    reports it (the measured tests say which failing tests a change fixed).
    """
    after = list(after)
    sources = {"ruff", "syntax"} | {f.source for f in after}
    was = Counter(finding_kind(f) for f in before if f.source in sources)
    now = Counter(finding_kind(f) for f in after)
    return sorted(kind for kind, count in was.items() if now[kind] < count)
