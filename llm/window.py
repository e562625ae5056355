"""Fit what the model should know into a token budget.

A prompt is built from sections in order of importance (the code first, then the
failing tests and findings, the feedback, the blast radius, the decision trail).
Each section gets what is left of the budget: one that does not fit is cut line
by line and says how much was left out, so the model knows the list goes on.
A file too large to show whole is shown as an outline of its definitions and
the excerpts around the lines that matter.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field

from healloop.llm.tokens import count_tokens

_EXCERPT_RADIUS = 12
_MAX_FUNCTION_LINES = 120


@dataclass
class Section:
    """A titled part of a prompt."""

    title: str
    lines: list[str] = field(default_factory=list)
    required: bool = False
    """Kept whole whatever the budget (the code under repair)."""

    def render(self, lines: list[str] | None = None) -> str:
        """Return the section as text, with only these lines if given."""
        return f"## {self.title}\n" + "\n".join(self.lines if lines is None else lines) + "\n"


def pack(sections: Iterable[Section], budget: int) -> tuple[list[str], list[str]]:
    """Return the rendered sections that fit the budget, and notes on what was cut.

    Sections come in order of importance and keep that order in the result.
    """
    out: list[str] = []
    cut: list[str] = []
    left = budget
    for section in sections:
        if not section.lines:
            continue
        text = section.render()
        cost = count_tokens(text)
        if section.required or cost <= left:
            out.append(text)
            left -= cost
            continue
        kept: list[str] = []
        used = count_tokens(section.render([]))
        for line in section.lines:
            line_cost = count_tokens(line) + 1
            if used + line_cost + 12 > left:
                break
            kept.append(line)
            used += line_cost
        omitted = len(section.lines) - len(kept)
        if kept:
            out.append(section.render([*kept, f"[... {omitted} more lines omitted]"]))
            left -= used + 12
        cut.append(f"{section.title}: {omitted} of {len(section.lines)} lines left out")
    return out, cut


def _definitions(source: str) -> list[tuple[int, int, str, int]]:
    """Return (first line, last line, header, nesting depth) of every def and class."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    lines = source.splitlines()
    spans = []

    def visit(node: ast.AST, depth: int) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                header = lines[child.lineno - 1].strip()
                spans.append((first, child.end_lineno or child.lineno, header, depth))
                visit(child, depth + 1)
            else:
                visit(child, depth)

    visit(tree, 0)
    return sorted(spans)


def _span_for(
    line: int, spans: list[tuple[int, int, str, int]], total: int
) -> tuple[int, int]:
    inner = [
        (a, b) for a, b, _, _ in spans if a <= line <= b and b - a + 1 <= _MAX_FUNCTION_LINES
    ]
    if inner:
        return min(inner, key=lambda s: s[1] - s[0])
    return max(1, line - _EXCERPT_RADIUS), min(total, line + _EXCERPT_RADIUS)


def _outline(spans: list[tuple[int, int, str, int]], focus: list[int], budget: int) -> str:
    """Return an outline of the definitions, the ones nearest the focus first to go in."""
    entries = [(a, f"{a:>5}: {'    ' * depth}{header}") for a, _, header, depth in spans]
    title = "Outline (line: definition):\n"
    if count_tokens(title + "\n".join(e for _, e in entries)) > budget:
        entries = [(a, f"{a:>5}: {header}") for a, _, header, depth in spans if depth == 0]
        title = "Outline of top-level definitions:\n"
    if count_tokens(title + "\n".join(e for _, e in entries)) > budget:
        title = "Outline of the definitions nearest the excerpts:\n"
        anchors = focus or [1]
        kept: list[tuple[int, str]] = []
        used = count_tokens(title)
        for a, entry in sorted(entries, key=lambda e: min(abs(e[0] - f) for f in anchors)):
            cost = count_tokens(entry) + 1
            if used + cost > budget:
                break
            kept.append((a, entry))
            used += cost
        entries = sorted(kept)
    return title + "\n".join(e for _, e in entries) + "\n"


def excerpts(source: str, focus: Iterable[int], budget: int) -> tuple[str, list[tuple[int, int]]]:
    """Return an outline and excerpts of source around the focus lines, within budget.

    Each focus line brings in its innermost function when that is short, or a
    window around it otherwise; focus lines come in order of importance.

    Returns:
        The text to show, and the (first, last) line ranges it quotes.

    """
    lines = source.splitlines(keepends=True)
    focus = [line for line in focus if 1 <= line <= len(lines)]
    spans = _definitions(source)
    text_outline = _outline(spans, focus, budget // 3)
    left = budget - count_tokens(text_outline)
    chosen: list[tuple[int, int]] = []
    for line in focus:
        first, last = _span_for(line, spans, len(lines))
        if any(a <= first and last <= b for a, b in chosen):
            continue
        cost = count_tokens("".join(lines[first - 1 : last])) + 20
        if cost > left:
            continue
        chosen.append((first, last))
        left -= cost
    merged: list[tuple[int, int]] = []
    for first, last in sorted(chosen):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    parts = [text_outline]
    for first, last in merged:
        parts.append(f"Lines {first}-{last}:\n" + fence("".join(lines[first - 1 : last])))
    return "\n".join(parts), merged


def fence(text: str, lang: str = "python") -> str:
    """Return text in a code fence that nothing inside it can close."""
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    ticks = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") else text + "\n"
    return f"{ticks}{lang}\n{body}{ticks}"
