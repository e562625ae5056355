"""Names a module reads and nothing defines: a missing import, or a slip of the keys.

An undefined name is a NameError waiting to happen (pyflakes' F821). Three mends are
tried for each: the import of a standard-library module or of a name a well-known
standard module exports (``os``, ``List``, ``defaultdict``, ``dataclass``), the import
of what a module of the project defines at its top level, and the closest name the
module does define (``vaule`` for ``value``). Where a name could be more than one of
these (``datetime`` the module or the class), each is an alternative: the tests, in
the evaluation, say which one is right.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import importlib
import itertools
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

_EXPORTERS = (
    "dataclasses", "collections.abc", "typing", "collections", "functools", "itertools",
    "pathlib", "enum", "abc", "contextlib", "datetime", "decimal", "fractions", "math",
    "operator", "textwrap", "time", "random", "copy", "json", "heapq", "bisect",
    "statistics", "uuid", "warnings", "string", "shutil", "tempfile", "subprocess",
)
"""Standard modules whose public names code often uses without the module's name,
first first where two export the same name (``Iterable``: collections.abc)."""
_MOST = 3


@dataclass
class Mended:
    """A version of the source with its undefined names mended, and how."""

    source: str
    steps: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """Say what was done, in one line."""
        return "; ".join(self.steps)


@dataclass(frozen=True)
class _Use:
    name: str
    line: int
    column: int


@dataclass(frozen=True)
class _Mend:
    """One way to define a name: an import line, or another name at its uses."""

    name: str
    imports: str = ""
    rename: str = ""

    def describe(self) -> str:
        return self.imports.strip() if self.imports else f"'{self.name}' → '{self.rename}'"


@cache
def _exported() -> dict[str, str]:
    """Return the standard modules' public names: name -> the module to import it from."""
    found: dict[str, str] = {}
    for module in _EXPORTERS:
        try:
            names = getattr(importlib.import_module(module), "__all__", None)
        except ImportError:
            continue
        for name in names or ():
            if not name.startswith("_"):
                found.setdefault(name, module)
    return found


def mend_names(
    source: str,
    uses: list[tuple[str, int, int]],
    project: Mapping[str, list[str]] | None = None,
) -> list[Mended]:
    """Return up to three versions of source where the undefined names are defined.

    uses holds each undefined name with the line and column (1-based) it is read at;
    project maps a name to the project's modules defining it at their top level.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    by_name: dict[str, list[_Use]] = {}
    for name, line, column in uses:
        by_name.setdefault(name, []).append(_Use(name, line, column))
    known = _defined(tree)
    options = [_options(name, by_name[name], known, project or {}) for name in by_name]
    options = [o for o in options if o]
    if not options:
        return []
    mended = []
    for choice in itertools.islice(itertools.product(*options), _MOST):
        mended.append(_apply(source, tree, list(choice), by_name))
    return mended


def _defined(tree: ast.Module) -> list[str]:
    """Return every name the module binds anywhere, and the builtins."""
    names = set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return sorted(n for n in names if not n.startswith("__"))


def _options(name: str, uses: list[_Use], known: list[str],
             project: Mapping[str, list[str]]) -> list[_Mend]:
    """Return the ways to define name, likeliest first."""
    found = []
    exported = _exported().get(name)
    module = name in sys.stdlib_module_names and not name.startswith("_")
    if exported:
        found.append(_Mend(name, imports=f"from {exported} import {name}\n"))
    if module:
        found.insert(0 if not exported or exported == name else 1,
                     _Mend(name, imports=f"import {name}\n"))
    for defining in project.get(name, [])[:2]:
        found.append(_Mend(name, imports=f"from {defining} import {name}\n"))
    for close in difflib.get_close_matches(name, known, n=2, cutoff=0.75):
        found.append(_Mend(name, rename=close))
    return found


def _apply(source: str, tree: ast.Module, choice: list[_Mend],
           by_name: dict[str, list[_Use]]) -> Mended:
    lines = source.splitlines(keepends=True)
    for mend in choice:
        if mend.rename:
            for use in sorted(by_name[mend.name], key=lambda u: (u.line, -u.column)):
                text = lines[use.line - 1]
                start = use.column - 1
                if text[start:start + len(mend.name)] == mend.name:
                    lines[use.line - 1] = text[:start] + mend.rename + text[start + len(mend.name):]
    imports = "".join(dict.fromkeys(m.imports for m in choice if m.imports))
    if imports:
        at = _import_line(tree)
        if at and not lines[at - 1].endswith("\n"):
            lines[at - 1] += "\n"
        lines.insert(at, imports)
    return Mended("".join(lines), [m.describe() for m in choice])


def _import_line(tree: ast.Module) -> int:
    """Return the line after which an import goes: the module's imports, its docstring."""
    after = 0
    for index, node in enumerate(tree.body):
        docstring = (index == 0 and isinstance(node, ast.Expr)
                     and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str))
        if docstring or isinstance(node, (ast.Import, ast.ImportFrom)):
            after = node.end_lineno or node.lineno
        else:
            break
    return after
