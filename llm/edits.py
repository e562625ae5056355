"""Search/replace edit blocks: how a model changes a file too large to rewrite.

A model that rewrites a 2,000-line file spends its output budget on lines it
does not change and often drops some on the way. Instead it sends blocks of
exact text to find and the text to put in their place; they are applied here and
checked locally. A block must match exactly one place. Differences only in
trailing whitespace or in the indentation of the whole block are forgiven (the
replacement is re-indented to match); anything else is a mismatch, reported with
the closest text in the file so that one re-ask can fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

from healloop.llm.schemas import EditBlock

_HINT_LINES = 12


@dataclass
class Applied:
    """The outcome of applying edit blocks to a source."""

    content: str | None
    """The edited source, or None when any block failed."""
    problems: list[str] = field(default_factory=list)
    """What went wrong, one entry per failed block."""


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _loose_matches(lines: list[str], search: list[str]) -> list[tuple[int, str]]:
    """Return (start line index, indentation to add) of whitespace-tolerant matches."""
    wanted = [s.rstrip() for s in search]
    first = next((i for i, s in enumerate(wanted) if s.strip()), None)
    if first is None:
        return []
    matches = []
    for start in range(len(lines) - len(search) + 1):
        window = [line.rstrip() for line in lines[start : start + len(search)]]
        if window == wanted:
            matches.append((start, ""))
            continue
        have, want = _indent(window[first]), _indent(wanted[first])
        if have.endswith(want) and all(
            (w == "" and h == "") or h == have[: len(have) - len(want)] + w
            for h, w in zip(window, wanted, strict=True)
        ):
            matches.append((start, have[: len(have) - len(want)]))
    return matches


def _closest(lines: list[str], search: list[str]) -> str:
    size = max(1, len(search))
    best, best_start = 0.0, 0
    target = "".join(search)
    for start in range(max(1, len(lines) - size + 1)):
        ratio = difflib.SequenceMatcher(
            None, "".join(lines[start : start + size]), target, autojunk=False
        ).quick_ratio()
        if ratio > best:
            best, best_start = ratio, start
    shown = lines[best_start : best_start + min(size, _HINT_LINES)]
    return (
        f"the closest text is at lines {best_start + 1}-{best_start + len(shown)}:\n"
        + "".join(shown)
    )


def _apply_one(text: str, block: EditBlock) -> tuple[str | None, str | None]:
    if not block.search.strip():
        return None, "the search text is empty; quote the lines to replace"
    count = text.count(block.search)
    if count == 1:
        return text.replace(block.search, block.replace, 1), None
    lines = _lines(text)
    if count > 1:
        starts: list[int] = []
        at = text.find(block.search)
        while at >= 0 and len(starts) < 5:
            starts.append(text.count("\n", 0, at) + 1)
            at = text.find(block.search, at + 1)
        return None, (
            f"the search text occurs {count} times (lines {', '.join(map(str, starts))}); "
            "include more surrounding lines so it occurs once"
        )
    search = _lines(block.search)
    matches = _loose_matches(lines, search)
    if len(matches) == 1:
        start, extra = matches[0]
        replace = _lines(block.replace)
        if replace and not replace[-1].endswith("\n") and start + len(search) < len(lines):
            replace[-1] += "\n"
        replace = [extra + r if r.strip() else r for r in replace]
        return "".join(lines[:start] + replace + lines[start + len(search) :]), None
    if len(matches) > 1:
        return None, (
            f"the search text occurs {len(matches)} times; include more surrounding lines"
        )
    return None, "the search text is not in the file; " + _closest(lines, search)


def apply_blocks(source: str, blocks: Sequence[EditBlock]) -> Applied:
    """Apply edit blocks in order; all of them or none."""
    if not blocks:
        return Applied(None, ["the answer has no edit blocks"])
    text = source
    problems = []
    for number, block in enumerate(blocks, start=1):
        edited, problem = _apply_one(text, block)
        if problem:
            problems.append(f"block {number}: {problem}")
        else:
            assert edited is not None
            text = edited
    if problems:
        return Applied(None, problems)
    return Applied(text)
