"""Candidates of several targets composed into one tree of files.

A run heals several targets at once, and a candidate for one target may also edit
other files (a rename carried to its call sites), some of which are targets too.
Measuring a candidate together with the best candidates of the other targets, and
applying the approved ones, both need exactly one content per file. This module
composes versions of a file that were made independently from the same original with
a line-based three-way merge. Edits that overlap and differ are a conflict, reported
by path, never resolved by a guess.

A candidate built on top of another target's candidate (its source already held that
candidate's edits to a shared file) names it in ``Candidate.built_on``: its version
of the shared file supersedes the other's instead of being merged with it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from healloop.state import Candidate, FileChange


@dataclass(frozen=True)
class _Hunk:
    start: int
    end: int
    lines: tuple[str, ...]

    @property
    def inserts(self) -> bool:
        return self.start == self.end


def _hunks(base: list[str], version: list[str]) -> list[_Hunk]:
    matcher = difflib.SequenceMatcher(None, base, version, autojunk=False)
    return [
        _Hunk(i1, i2, tuple(version[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def _clash(a: _Hunk, b: _Hunk) -> bool:
    if a == b:
        return False
    if a.inserts and b.inserts:
        return a.start == b.start
    if a.inserts:
        return b.start < a.start < b.end
    if b.inserts:
        return a.start < b.start < a.end
    return max(a.start, b.start) < min(a.end, b.end)


def merge(original: str, versions: Sequence[str]) -> str | None:
    """Return the three-way merge of versions of original, or None on a conflict.

    Args:
        original: The common ancestor of every version.
        versions: Contents made from original independently; identical edits
            made by several versions are applied once.

    Returns:
        The original with every version's edits, or None when two versions edit
        the same lines differently.

    """
    changed = list(dict.fromkeys(v for v in versions if v != original))
    if len(changed) <= 1:
        return changed[0] if changed else original
    base = original.splitlines(keepends=True)
    hunks = sorted(
        {h for v in changed for h in _hunks(base, v.splitlines(keepends=True))},
        key=lambda h: (h.start, h.end),
    )
    for i, a in enumerate(hunks):
        if any(_clash(a, b) for b in hunks[i + 1 :]):
            return None
    out: list[str] = []
    cursor = 0
    for h in hunks:
        out.extend(base[cursor : h.start])
        out.extend(h.lines)
        cursor = max(cursor, h.end)
    out.extend(base[cursor:])
    return "".join(out)


@dataclass
class Composition:
    """One content per file, or the file where the candidates clash."""

    changes: list[FileChange] = field(default_factory=list)
    conflict: str | None = None
    """Path of the first file whose versions clash; None when they compose."""

    def content_of(self, path: str) -> str | None:
        """Return the composed content of path, or None when nothing changes it."""
        return next((c.content for c in self.changes if c.path == path), None)


def compose(
    candidates: Sequence[Candidate],
    original_of: Callable[[str], str],
) -> Composition:
    """Compose the change sets of candidates into one content per file.

    Args:
        candidates: Change sets to put together, in order of precedence.
        original_of: Returns the content a file had when the run started.

    Returns:
        The composed changes in first-seen path order, or the conflicting path.

    """
    ids = {c.id for c in candidates}
    superseded = {(dep, c.id) for c in candidates for dep in c.built_on if dep in ids}
    versions: dict[str, list[tuple[str, str]]] = {}
    for candidate in candidates:
        for change in candidate.changes:
            versions.setdefault(change.path, []).append((candidate.id, change.content))
    result = Composition()
    for path, made in versions.items():
        holders = {cid for cid, _ in made}
        kept = [
            content
            for cid, content in made
            if not any((cid, other) in superseded for other in holders)
        ]
        content = merge(original_of(path), kept)
        if content is None:
            return Composition(conflict=path)
        result.changes.append(FileChange(path=path, content=content))
    return result
