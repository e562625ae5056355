"""The places where a dependent uses the target, as a model needs to see them.

The blast radius records a line per name a dependent reads from the target,
import lines and annotations included. A model asked to keep every use working
needs the uses themselves: the call with every argument it passes, even when the
call spans several lines, once however many of the target's names it reads.
Imports and annotations say only that a name must go on existing, which the list
of names already says.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass

from healloop.state import SymbolUse

MAX_SITES = 10
"""Sites shown per dependent."""
MAX_SITE_LINES = 6
"""Lines shown per site; a longer call is cut with an ellipsis."""
MAX_LINES = 30
"""Lines shown per dependent: its block must stay small enough for a prompt's budget."""


@dataclass(frozen=True)
class Site:
    """Lines of a dependent that use the target: a whole call, or one line."""

    first: int
    last: int
    lines: tuple[str, ...]

    @property
    def height(self) -> int:
        """Return the lines the site takes when rendered."""
        if self.first == self.last:
            return 1
        return 1 + min(len(self.lines), MAX_SITE_LINES) + (len(self.lines) > MAX_SITE_LINES)

    def render(self, path: str) -> str:
        """Return the site as ``path:line: code``, or a header and an indented block."""
        if self.first == self.last:
            return f"{path}:{self.first}: {self.lines[0].strip()}"
        shown = textwrap.dedent("\n".join(self.lines[:MAX_SITE_LINES])).splitlines()
        if len(self.lines) > MAX_SITE_LINES:
            shown.append("...")
        return f"{path}:{self.first}-{self.last}:\n" + "\n".join(
            f"    {line}".rstrip() for line in shown
        )


@dataclass
class Sites:
    """The sites of one dependent worth showing."""

    shown: list[Site]
    more: int = 0
    """Further sites left out past MAX_SITES or MAX_LINES."""
    declarations_only: bool = False
    """Every use recorded is an import, an annotation or a parameter's name."""


def call_sites(source: str, uses: list[SymbolUse]) -> Sites:
    """Return where source uses the target: whole calls and lines, no imports or annotations.

    Args:
        source: The dependent's text.
        uses: The target's names it reads, with their lines (the blast radius').

    """
    lines = source.splitlines()
    try:
        reader: _Reader | None = _Reader(ast.parse(source))
    except (SyntaxError, ValueError):  # ValueError: null bytes, before Python 3.12
        reader = None
    spans: list[tuple[int, int]] = []
    for use in sorted(uses, key=lambda u: (u.line, u.symbol)):
        if not 0 < use.line <= len(lines):
            continue
        span = reader.span(use) if reader else _plain_span(lines, use.line)
        if span is None or any(a <= span[0] and span[1] <= b for a, b in spans):
            continue
        spans = [s for s in spans if not (span[0] <= s[0] and s[1] <= span[1])] + [span]
    shown: list[Site] = []
    room = MAX_LINES
    for a, b in sorted(spans):
        site = Site(a, b, tuple(lines[a - 1 : b]))
        if len(shown) == MAX_SITES or site.height > room:
            break
        shown.append(site)
        room -= site.height
    return Sites(
        shown=shown,
        more=len(spans) - len(shown),
        declarations_only=bool(uses) and not spans and reader is not None,
    )


def _plain_span(lines: list[str], line: int) -> tuple[int, int] | None:
    """Return the line alone unless it imports: all a file that does not parse offers."""
    text = lines[line - 1].lstrip()
    return None if text.startswith(("import ", "from ")) else (line, line)


class _Reader:
    """What each line of a parsed dependent holds: imports, annotations, calls, statements."""

    def __init__(self, tree: ast.Module) -> None:
        self.imports: set[int] = set()
        self.names: dict[int, list[tuple[str, bool]]] = {}
        """Per line, the identifiers on it and whether each only declares: sits in an
        annotation, or names a parameter (which the target's name does not reach)."""
        self.calls: list[ast.Call] = []
        self.statements: list[ast.stmt] = []
        self._visit(tree, annotation=False)

    def span(self, use: SymbolUse) -> tuple[int, int] | None:
        """Return the lines to show for one use, or None when it only declares."""
        line = use.line
        if line in self.imports:
            return None
        parts = set(use.symbol.split("."))
        seen = [declares for name, declares in self.names.get(line, []) if name in parts]
        if seen and all(seen):
            return None
        calls = [c for c in self.calls if self._calls_at(c, line, parts)]
        if calls:
            call = max(calls, key=lambda c: (c.end_lineno or c.lineno) - c.lineno)
            return call.lineno, call.end_lineno or call.lineno
        simple = [s for s in self.statements if s.lineno <= line <= (s.end_lineno or s.lineno)]
        if simple:
            inner = min(simple, key=lambda s: (s.end_lineno or s.lineno) - s.lineno)
            end = inner.end_lineno or inner.lineno
            if end - inner.lineno < MAX_SITE_LINES:
                return inner.lineno, end
        return line, line

    def _calls_at(self, call: ast.Call, line: int, parts: set[str]) -> bool:
        """Return whether the call's callee names one of parts on line."""
        return any(
            (isinstance(n, ast.Name) and n.id in parts and n.lineno == line)
            or (isinstance(n, ast.Attribute) and n.attr in parts and n.end_lineno == line)
            for n in ast.walk(call.func)
        )

    def _visit(self, node: ast.AST, *, annotation: bool) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            self.imports.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
            return
        if isinstance(node, ast.Name):
            self.names.setdefault(node.lineno, []).append((node.id, annotation))
        elif isinstance(node, ast.Attribute):
            line = node.end_lineno or node.lineno
            self.names.setdefault(line, []).append((node.attr, annotation))
        elif isinstance(node, ast.arg):
            self.names.setdefault(node.lineno, []).append((node.arg, True))
        elif isinstance(node, ast.Call):
            self.calls.append(node)
        if isinstance(node, ast.stmt) and not _compound(node):
            self.statements.append(node)
        for field, value in ast.iter_fields(node):
            inside = annotation or _is_annotation(node, field)
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST):
                    self._visit(child, annotation=inside)


def _is_annotation(node: ast.AST, field: str) -> bool:
    """Return whether a node's field holds a type annotation."""
    return (field == "annotation" and isinstance(node, ast.arg | ast.AnnAssign)) or (
        field == "returns" and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    )


def _compound(node: ast.stmt) -> bool:
    """Return whether a statement holds a block (def, class, if, for, with, try, match)."""
    return isinstance(getattr(node, "body", None), list) or isinstance(node, ast.Match)
