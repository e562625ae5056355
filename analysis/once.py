"""Code that runs for its first caller only, and the names that keep what it made.

A coverage map shows which tests ran a line. A cache (``lru_cache``,
``cached_property``) or a lazy initialisation (``if self._parser is None:
self._parser = build()``) runs its body for the first caller only: every later caller
gets what was kept without running a line of it. So a change there, or in a function
such code calls, reaches more than the tests that ran it: whoever calls the cached
function, and whoever reads what the initialisation stored.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field

from healloop.analysis.import_time import (
    ImportTimeEffect,
    Ran,
    Site,
    decorator_name,
    parsed,
    site,
    words,
)

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_BUILDERS = frozenset({"__init__", "__new__", "__post_init__"})
"""Constructors: called by their class's name, on an object new at every call."""


@dataclass
class Kept:
    """What keeps the result of once-only code for later callers."""

    functions: set[str] = field(default_factory=set)
    """Cached functions and properties: whoever names one gets what it returned."""
    stored: set[str] = field(default_factory=set)
    """Attributes and module names a lazy initialisation stores."""

    def __bool__(self) -> bool:
        return bool(self.functions or self.stored)

    def __ior__(self, other: Kept) -> Kept:
        self.functions |= other.functions
        self.stored |= other.stored
        return self


def _caches(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Return whether a decorator named for a cache or a memo wraps function."""
    return any(word in decorator_name(d).lower() for d in function.decorator_list
               for word in ("cache", "memo"))


def _locals(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Return the names local to function: its parameters and what it assigns."""
    args = function.args
    names = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    names |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    declared: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
    return names - declared


def _shared(node: ast.expr, local: set[str]) -> str | None:
    """Return the attribute or module name an expression refers to, None for a local."""
    while isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name) and node.id not in local:
        return node.id
    return None


def _checks(test: ast.expr, local: set[str]) -> tuple[set[str], set[str]]:
    """Return the attributes and module names a condition finds unset, and set.

    Unset: ``x is None``, ``not x``, ``key not in x``, ``not hasattr(obj, "x")``;
    set: their opposites. Other comparisons (a counter, a value) are neither.
    """
    unset: set[str] = set()
    found: set[str] = set()

    def visit(node: ast.expr, negated: bool) -> None:
        name: str | None = None
        empty = False
        if isinstance(node, ast.BoolOp):
            for value in node.values:
                visit(value, negated)
            return
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            visit(node.operand, not negated)
            return
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            op, right = node.ops[0], node.comparators[0]
            if isinstance(op, (ast.Is, ast.IsNot)) and isinstance(right, ast.Constant) \
                    and right.value is None:
                name, empty = _shared(node.left, local), isinstance(op, ast.Is)
            elif isinstance(op, (ast.In, ast.NotIn)):
                name, empty = _shared(right, local), isinstance(op, ast.NotIn)
        elif isinstance(node, ast.Call) and decorator_name(node) == "hasattr" and \
                len(node.args) == 2 and isinstance(node.args[1], ast.Constant):
            name = str(node.args[1].value)
        else:
            name = _shared(node, local)  # truthy when set
        if name:
            (unset if empty != negated else found).add(name)

    visit(test, False)
    return unset, found


def _stored(branch: list[ast.stmt], local: set[str]) -> set[str]:
    """Return the attributes and module names a branch assigns (an item of one too)."""
    names: set[str] = set()
    for stmt in branch:
        for node in ast.walk(stmt):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            for target in targets:
                for part in ast.walk(target):
                    if isinstance(part, (ast.Attribute, ast.Subscript, ast.Name)) and \
                            isinstance(part.ctx, ast.Store):
                        name = _shared(part, local)
                        if name:
                            names.add(name)
    return names


def regions(tree: ast.Module) -> Iterator[tuple[list[ast.stmt], Kept]]:
    """Yield each stretch of once-only code in a module, with what keeps its result.

    The body of a cached function, and a branch that runs when an attribute or a
    module name is unset and assigns it (``if self._x is None``, ``if key not in
    _cache``, ``if not hasattr(self, "_x")``, or the ``else`` of their opposites).
    Not in a constructor: its object is new at every call.
    """
    for function in ast.walk(tree):
        if not isinstance(function, _FUNCTIONS):
            continue
        if _caches(function):
            yield function.body, Kept(functions={function.name})
        if function.name in _BUILDERS:
            continue
        local = _locals(function)
        for node in ast.walk(function):
            if not isinstance(node, ast.If):
                continue
            unset, found = _checks(node.test, local)
            for branch, checked in ((node.body, unset), (node.orelse, found)):
                stored = _stored(branch, local)
                if branch and checked & stored:
                    yield branch, Kept(stored=stored)


def _within(branch: list[ast.stmt], line: int) -> bool:
    return branch[0].lineno <= line <= (branch[-1].end_lineno or branch[-1].lineno)


def kept(tree: ast.Module, lines: set[int]) -> Kept:
    """Return what keeps the results of the once-only code any of lines is in."""
    found = Kept()
    for branch, keeps in regions(tree):
        if any(_within(branch, line) for line in lines):
            found |= keeps
    return found


def _names(branch: list[ast.stmt], name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name
               or isinstance(n, ast.Attribute) and n.attr == name
               for stmt in branch for n in ast.walk(stmt))


@functools.lru_cache(maxsize=2048)
def _regions(path: str, text: str) -> list[tuple[list[ast.stmt], Kept]]:
    """Return a file's once-only code (only that is kept, not the whole tree)."""
    try:
        return list(regions(ast.parse(text)))
    except (SyntaxError, ValueError) as exc:
        raise ImportTimeEffect(f"{path} does not parse") from exc


def called_as(where: Site) -> str | None:
    """Return the name callers use to run the function of a body line.

    A constructor runs by its class's name; other dunders run by operators and
    protocols, which name nothing (None).
    """
    name = getattr(where.stmt, "name", "")
    if name in _BUILDERS and where.classes:
        return where.classes[-1].name
    return None if name.startswith("__") and name.endswith("__") else name or None


def kept_by_callers(name: str, texts: dict[str, str]) -> Kept:
    """Return what keeps the results of once-only code that names the function name.

    A function that a cache or a lazy initialisation calls runs for its first caller
    only, too.
    """
    found = Kept()
    for path, text in texts.items():
        if name in text and any(words(text, name)):
            for branch, keeps in _regions(path, text):
                if _names(branch, name):
                    found |= keeps
    return found


def readers(stored: set[str], texts: dict[str, str], ran: Ran) -> set[int]:
    """Return the tests that ran a line of a function naming what was stored.

    Runs at import are left out: code run at import that reads what once-only code
    stored ran the once-only code at import too, and the caller handles that.
    """
    tests: set[int] = set()
    for name in stored:
        for path, text in texts.items():
            if name not in text:
                continue
            for line in words(text, name):
                where = site(parsed(path, text).body, line)
                if where is not None and where.kind == "body":
                    tests |= ran(path, range(line, line + 1))
    return tests - {-1}
