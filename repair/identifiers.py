"""A wrong name: a variable, an attribute, a function or an exception for another.

Replacements come from what the code around already has: the names in scope of a
compatible kind, the attributes written on the same owner, callables of one family
(`min` for `max`, `lstrip` for `strip`), the exception classes the module names, and
the expressions the function writes on the name elsewhere (`b` → `b[1:]`).
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterator

from healloop.repair.edits import Edit
from healloop.repair.expressions import Edits
from healloop.repair.program import Program, Scope, compatible, walk_own

_FUNC_SWAPS = {"min": ["max"], "max": ["min"], "any": ["all"], "all": ["any"],
               "floor": ["ceil"], "ceil": ["floor"], "sorted": ["reversed"],
               "reversed": ["sorted"], "int": ["round"], "round": ["int"],
               "isupper": ["islower"], "islower": ["isupper"]}

_METHOD_SWAPS = {"append": ["extend"], "extend": ["append"], "startswith": ["endswith"],
                 "endswith": ["startswith"], "lower": ["upper"], "upper": ["lower"],
                 "strip": ["lstrip", "rstrip"], "lstrip": ["rstrip", "strip"],
                 "rstrip": ["lstrip", "strip"], "find": ["rfind"], "rfind": ["find"],
                 "index": ["rindex"], "rindex": ["index"], "remove": ["discard"],
                 "keys": ["values", "items"], "values": ["keys", "items"],
                 "items": ["keys", "values"], "pop": ["popleft"], "popleft": ["pop"],
                 "appendleft": ["append"], "isupper": ["islower"], "islower": ["isupper"],
                 "isdigit": ["isalpha", "isalnum"], "isalpha": ["isdigit", "isalnum"],
                 "split": ["rsplit"], "add": ["discard"], "insert": ["append"]}

# Callables that do the same kind of thing, one of which may be called for another: a
# pair the tables above name comes first, the rest of its family after, at a lower prior.
_FUNC_FAMILIES = (("min", "max"), ("any", "all"), ("floor", "ceil", "round", "int", "trunc"),
                  ("sum", "len", "max", "min"),
                  ("chr", "ord"), ("str", "repr"), ("filter", "map"))

_METHOD_FAMILIES = (("lower", "upper", "swapcase", "title", "capitalize", "casefold"),
                    ("strip", "lstrip", "rstrip"), ("startswith", "endswith"),
                    ("isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower",
                     "isdecimal", "isnumeric", "istitle"),
                    ("find", "rfind", "index", "rindex", "count"),
                    ("split", "rsplit", "splitlines", "partition", "rpartition"),
                    ("append", "extend", "insert", "appendleft"), ("keys", "values", "items"),
                    ("sort", "reverse"), ("pop", "popleft", "remove", "discard"),
                    ("floor", "ceil", "trunc"))


def _family_swaps(named: dict[str, list[str]], families: tuple[tuple[str, ...], ...]
                  ) -> dict[str, list[tuple[str, float]]]:
    """Return each callable's replacements with priors: named pairs 1, its family 0.6."""
    swaps = {name: [(other, 1.0) for other in others] for name, others in named.items()}
    for family in families:
        for name in family:
            have = {other for other, _ in swaps.get(name, [])} | {name}
            swaps.setdefault(name, []).extend(
                (other, 0.6) for other in family if other not in have)
    return swaps


_FUNCTION_SWAPS = _family_swaps(_FUNC_SWAPS, _FUNC_FAMILIES)

_METHOD_CALL_SWAPS = _family_swaps(_METHOD_SWAPS, _METHOD_FAMILIES)


def identifiers(
    make: Edits, program: Program, node: ast.AST, scope: Scope, line: int
) -> Iterator[Edit | None]:
    """Yield another name, attribute, callable or exception class of a kind for node's."""
    parent = program.parents.get(node)
    is_callee = isinstance(parent, ast.Call) and node is parent.func
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        if _raised(program, node):
            for other in sorted(_exception_names(program) - {node.id}):
                yield make.replace(node, other, "identifier", 0.55, line)
            return
        if is_callee:
            for other, prior in _FUNCTION_SWAPS.get(node.id, []):
                yield make.replace(node, other, "identifier", 0.6 * prior, line)
            return
        if node.id not in scope.names:
            return
        kinds = scope.names[node.id]
        for other, other_kinds in scope.names.items():
            if other == node.id or not compatible(kinds, other_kinds):
                continue
            known = bool(kinds & other_kinds)
            yield make.replace(node, other, "identifier", 0.55 if known else 0.35, line)
        yield from _written_on(make, node, parent, scope, line)
    elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
        # Assigning to the wrong variable: only among names already assigned.
        if isinstance(parent, ast.Assign | ast.AugAssign) and node.id in scope.names:
            kinds = scope.names[node.id]
            for other, other_kinds in scope.names.items():
                if other != node.id and kinds & other_kinds:
                    yield make.replace(node, other, "identifier", 0.35, line)
    elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
        yield from _other_items(make, program, node, parent, line)
    elif isinstance(node, ast.Call) and not is_callee and isinstance(parent, ast.BinOp):
        yield from _numbers_for_call(make, program, node, scope, line)
    elif isinstance(node, ast.Attribute):
        start = make.p.span(node.value)[1]
        end = make.p.span(node)[1]
        dot = make.p.source.rfind(node.attr, start, end)
        if dot < 0:
            return
        span = (dot, dot + len(node.attr))
        if is_callee:
            for other, prior in _METHOD_CALL_SWAPS.get(node.attr, []):
                yield make.span_edit(*span, other, "identifier", 0.5 * prior, line)
            return
        owner = ast.unparse(node.value)
        siblings = scope.attributes.get(owner, set()) | program.module_scope.attributes.get(
            owner, set()
        )
        methods = _called_attributes(program)
        for other in sorted(siblings - {node.attr} - methods):
            yield make.span_edit(*span, other, "identifier", 0.5, line)
        if owner == "self":
            kept = program.instance_attributes(scope.node) - siblings - {node.attr} - methods
            likeliest = sorted(kept, key=lambda a: (-_similarity(a, node.attr), a))[:12]
            for other in likeliest:
                yield make.span_edit(*span, other, "identifier", 0.4, line)


def _other_items(make: Edits, program: Program, node: ast.Subscript, parent: ast.AST | None,
                 line: int) -> Iterator[Edit | None]:
    """`weight_by_edge[u, v] = ...` where `weight_by_node[v]` was meant: the wrong item set.

    The item meant is one the function reads elsewhere, of another collection.
    """
    if not (isinstance(parent, ast.Assign | ast.AugAssign) and isinstance(node.value, ast.Name)):
        return
    function = program.function_of(node)
    if function is None:
        return
    items = sorted((n for n in walk_own(function) if isinstance(n, ast.Subscript)
                    and isinstance(n.ctx, ast.Load) and isinstance(n.value, ast.Name)
                    and n.value.id != node.value.id), key=lambda n: (n.lineno, n.col_offset))
    own = program.text(node)
    texts = dict.fromkeys(program.text(n) for n in items)
    for text in [t for t in texts if t != own][:_ITEMS]:
        yield make.replace(node, text, "identifier", 0.35, line)


_ITEMS = 6
"""Items of other collections a wrong item set may be replaced by, at most."""


def _numbers_for_call(make: Edits, program: Program, node: ast.Call, scope: Scope,
                      line: int) -> Iterator[Edit | None]:
    """`get(heap, nextnode) + length` where the number in hand was meant: `distance + length`.

    A call in arithmetic may be the wrong way to a number the function already holds:
    each name in scope that the call does not read and that is a number (or may be:
    `distance, node = heappop(heap)`) replaces it.
    """
    read = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    names = [(name, kinds) for name, kinds in scope.names.items()
             if kinds <= {"num"} and name not in read and name not in scope.functions]
    numbers = [name for name, kinds in names if kinds]
    maybe = [name for name, kinds in names if not kinds][:_MAYBE_NUMBERS]
    for name in numbers:
        yield make.replace(node, name, "identifier", 0.25, line)
    for name in maybe:
        yield make.replace(node, name, "identifier", 0.15, line)


_MAYBE_NUMBERS = 6
"""Names of unknown kind a call in arithmetic may be replaced by, at most."""
_WRITTEN = 4
"""Expressions the function writes on a name that may replace it, at most."""


def _written_on(make: Edits, node: ast.Name, parent: ast.AST | None, scope: Scope,
                line: int) -> Iterator[Edit | None]:
    """`b` → `b[1:]`, an expression the function writes on the name elsewhere.

    A fix often reuses code the function already has (the plastic surgery hypothesis):
    the recursion's `lcs(a, b)` meant `lcs(a, b[1:])`, as the line below writes it.
    Not where the name already is the base of one (`b[0]` stays).
    """
    if isinstance(parent, ast.Subscript | ast.Attribute) and parent.value is node:
        return
    for text in scope.written.get(node.id, [])[:_WRITTEN]:
        yield make.replace(node, text, "identifier", 0.3, line)


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def _called_attributes(program: Program) -> set[str]:
    cached: set[str] | None = program.__dict__.get("_called")
    if cached is None:
        cached = {
            n.func.attr for n in ast.walk(program.tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
        }
        program.__dict__["_called"] = cached
    return cached


def _raised(program: Program, node: ast.Name) -> bool:
    """Whether node names the class a raise statement raises (`raise X` or `raise X(...)`)."""
    parent = program.parents.get(node)
    if isinstance(parent, ast.Call) and node is parent.func:
        node, parent = parent, program.parents.get(parent)  # type: ignore[assignment]
    return isinstance(parent, ast.Raise) and node is parent.exc


_EXCEPTION_SUFFIXES = ("Error", "Exception", "Warning")


def _exception_names(program: Program) -> set[str]:
    """Return the exception classes the module could raise: those it names anywhere.

    Raised, caught, defined or imported, by the usual names (`...Error`), so that a
    `raise ValueError(...)` meant as the module's own `ISO8601Error` can be turned
    into it, and back.
    """
    cached: set[str] | None = program.__dict__.get("_exceptions")
    if cached is None:
        names = {n.id for n in ast.walk(program.tree) if isinstance(n, ast.Name)}
        names |= {n.name for n in ast.walk(program.tree) if isinstance(n, ast.ClassDef)}
        names |= program.imported_names
        cached = {n for n in names if n.endswith(_EXCEPTION_SUFFIXES)}
        program.__dict__["_exceptions"] = cached
    return cached

