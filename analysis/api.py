"""API compatibility: whether a new version of a module still serves the code using it.

A candidate may pass the target's own tests and still break a dependent that calls a
function it renamed, a parameter it dropped or a tuple it no longer returns. The
blast radius knows which symbols dependents use; this check compares the old and new
definitions of exactly those, so evaluate can reject the candidate and name who breaks.
Only what the source shows is checked: a break hidden behind dynamic code is not seen.
"""

from __future__ import annotations

import ast
import builtins
import collections.abc
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from healloop.state import BlastRadius

_Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class _Param:
    name: str
    kind: str  # "posonly", "normal", "kwonly"
    has_default: bool


@dataclass
class _Signature:
    params: list[_Param]
    varargs: bool
    varkw: bool

    def positional(self) -> list[_Param]:
        return [p for p in self.params if p.kind in ("posonly", "normal")]

    def by_keyword(self) -> dict[str, _Param]:
        return {p.name: p for p in self.params if p.kind in ("normal", "kwonly")}


def _signature(func: _Function, *, method: bool) -> _Signature:
    args = func.args
    positional = [*args.posonlyargs, *args.args]
    defaults = [False] * (len(positional) - len(args.defaults)) + [True] * len(args.defaults)
    params = [
        _Param(a.arg, "posonly" if i < len(args.posonlyargs) else "normal", d)
        for i, (a, d) in enumerate(zip(positional, defaults, strict=True))
    ]
    params += [
        _Param(a.arg, "kwonly", d is not None)
        for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
    ]
    is_static = any(
        isinstance(d, ast.Name) and d.id == "staticmethod" for d in func.decorator_list
    )
    if method and not is_static and params and params[0].kind != "kwonly":
        params = params[1:]
    return _Signature(params, args.vararg is not None, args.kwarg is not None)


def signature_breaks(old: _Signature, new: _Signature) -> list[str]:
    """Return how calls valid against old could fail against new."""
    problems = []
    old_pos, new_pos = old.positional(), new.positional()
    for i, param in enumerate(old_pos):
        if i < len(new_pos):
            moved = new_pos[i]
            if moved.name != param.name and param.kind == "normal":
                problems.append(f"parameter '{param.name}' renamed or moved")
            elif param.kind == "normal" and moved.kind == "posonly":
                problems.append(f"parameter '{param.name}' became positional-only")
            elif param.has_default and not moved.has_default:
                problems.append(f"parameter '{param.name}' lost its default")
        elif param.kind == "normal" and param.name in new.by_keyword():
            # Behind a new *args a positional argument no longer fails: it is swallowed.
            problems.append(f"parameter '{param.name}' became keyword-only")
        elif not new.varargs:
            problems.append(f"parameter '{param.name}' removed")
    new_keywords = new.by_keyword()
    for param in old.params:
        if param.kind == "kwonly":
            moved_kw = new_keywords.get(param.name)
            if moved_kw is None and not new.varkw:
                problems.append(f"keyword '{param.name}' removed")
            elif moved_kw is not None and param.has_default and not moved_kw.has_default:
                problems.append(f"parameter '{param.name}' lost its default")
    old_names = {p.name for p in old.params}
    for i, param in enumerate(new.params):
        # One in the place of an old positional parameter is that one renamed, said above.
        if param.name not in old_names and not param.has_default and (
                param.kind == "kwonly" or i >= len(old_pos)):
            problems.append(f"new required parameter '{param.name}'")
    if old.varargs and not new.varargs:
        problems.append("no longer accepts *args")
    if old.varkw and not new.varkw:
        problems.append("no longer accepts **kwargs")
    return list(dict.fromkeys(problems))


def _return_shapes(func: _Function) -> set[str]:
    """Return what the function's returns give: 'tuple:N', 'value', 'none', 'generator'."""
    shapes = set()
    stack: list[ast.AST] = list(func.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return {"generator"}
        if isinstance(node, ast.Return):
            value = node.value
            if value is None or (isinstance(value, ast.Constant) and value.value is None):
                shapes.add("none")
            elif isinstance(value, ast.Tuple) and not any(
                isinstance(e, ast.Starred) for e in value.elts
            ):
                shapes.add(f"tuple:{len(value.elts)}")
            else:
                shapes.add("value")
        stack.extend(ast.iter_child_nodes(node))
    return shapes or {"none"}


def _return_breaks(old: _Function, new: _Function) -> list[str]:
    before, after = _return_shapes(old), _return_shapes(new)
    if before == after:
        return []
    if "generator" in before | after:
        return [f"changed from {'a generator' if 'generator' in before else 'a function'}"
                f" to {'a generator' if 'generator' in after else 'a function'}"]
    # Tuples are compared by the sizes each version builds, whatever else a branch
    # returns (the common "None, or a pair"): a caller unpacks one of the old sizes.
    old_sizes = sorted(int(s[6:]) for s in before if s.startswith("tuple"))
    new_sizes = sorted(int(s[6:]) for s in after if s.startswith("tuple"))
    if old_sizes and new_sizes and set(new_sizes) - set(old_sizes):
        return [f"returns {'/'.join(map(str, new_sizes))} values instead of "
                f"{'/'.join(map(str, old_sizes))}"]
    if after == {"none"} and before != {"none"} and "value" not in before - {"none"}:
        return [f"returns None instead of a {'/'.join(map(str, old_sizes))}-tuple"]
    if after == {"none"} and before == {"value"}:
        return ["returns None instead of a value"]
    return []  # a value may hold a tuple, a tuple may become a value: not detectable


@dataclass
class _Module:
    """Top-level names of a module and their definitions."""

    defs: dict[str, ast.AST]
    imported: set[str]
    parses: bool
    exported: set[str] | None = None
    """The names of a literal ``__all__``, which ``from module import *`` brings."""

    def definition(self, name: str) -> ast.AST | None:
        """Return what name is bound to, through ``name = other_def`` assignments."""
        node = self.defs.get(name)
        seen = {name}
        while isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) \
                and node.value.id not in seen:
            seen.add(node.value.id)
            node = self.defs.get(node.value.id, node)
        return node


def _module(source: str) -> _Module:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return _Module({}, set(), False)
    defs: dict[str, ast.AST] = {}
    imported: set[str] = set()
    exported: set[str] | None = None
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop(0)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        defs.setdefault(name.id, node)
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                exported = _exported(node, exported)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                imported.add(alias.asname or alias.name.split(".")[0])
                if alias.name == "*":
                    imported.add("*")
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for block in ("body", "orelse", "finalbody"):
                stack.extend(getattr(node, block, []))
            for handler in getattr(node, "handlers", []):
                stack.extend(handler.body)
    return _Module(defs, imported, True, exported)


def _exported(node: ast.Assign | ast.AnnAssign | ast.AugAssign, before: set[str] | None
              ) -> set[str] | None:
    """Return ``__all__`` after this assignment, or None when it is not a literal."""
    value = node.value
    if not isinstance(value, (ast.List, ast.Tuple)) or not all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts):
        return None
    names = {e.value for e in value.elts}  # type: ignore[attr-defined]
    if isinstance(node, ast.AugAssign):
        return None if before is None else before | names
    return names


def _members(cls: ast.ClassDef) -> dict[str, ast.AST]:
    out: dict[str, ast.AST] = {}
    for node in cls.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in out \
                and any(_accessor_of(d, node.name) for d in node.decorator_list):
            continue  # a property's setter or deleter: callers read the getter
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    out[target.id] = node
    return out


def class_members(source: str) -> dict[str, set[str]]:
    """Return each top-level class of a module with its public members."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    return {node.name: {n for n in _members(node) if not n.startswith("_")}
            for node in tree.body if isinstance(node, ast.ClassDef)}


def _accessor_of(decorator: ast.expr, name: str) -> bool:
    return (isinstance(decorator, ast.Attribute) and decorator.attr in ("setter", "deleter")
            and isinstance(decorator.value, ast.Name) and decorator.value.id == name)


_KNOWN_BASES: dict[str, type] = {
    "Enum": enum.Enum, "IntEnum": enum.IntEnum, "StrEnum": enum.Enum, "Flag": enum.Flag,
    "IntFlag": enum.IntFlag, "ABC": object, "Protocol": object, "Generic": object,
    "NamedTuple": tuple,
}
"""Bases, besides the builtins and ``collections.abc``, whose members are known: an
enumeration's own members, an abstract class's methods are never inherited from them."""


def _may_inherit(cls: ast.ClassDef, member: str, module: _Module, seen: frozenset[str] = frozenset()
                 ) -> bool:
    """Return whether a base of cls may provide member (unknown bases may)."""
    for base in cls.bases:
        if isinstance(base, ast.Subscript):  # Generic[T], Protocol[T]
            base = base.value
        name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", None)
        if name is None:
            return True  # a call, an expression: not knowable
        local = module.defs.get(name)
        if isinstance(local, ast.ClassDef) and name not in seen:
            if member in _members(local) or _may_inherit(local, member, module, seen | {name}):
                return True
            continue
        known = (_KNOWN_BASES.get(name) or getattr(builtins, name, None)
                 or getattr(collections.abc, name, None))
        if isinstance(known, type):
            if hasattr(known, member):
                return True
            continue
        return True
    return False


def _kind(node: ast.AST) -> str | None:
    """Return how a member function is reached: 'property', 'class' (on the class), 'method'.

    None for a member bound otherwise (an attribute, an alias): not compared.
    """
    if not isinstance(node, _Function):
        return None
    for decorator in node.decorator_list:
        name = decorator.attr if isinstance(decorator, ast.Attribute) else getattr(
            decorator, "id", "")
        if name in ("property", "cached_property"):
            return "property"
        if name in ("classmethod", "staticmethod"):
            return "class"
    return "method"


def _compare_callables(old: ast.AST, new: ast.AST, *, method: bool) -> list[str]:
    if isinstance(old, _Function) and isinstance(new, _Function):
        problems = signature_breaks(_signature(old, method=method), _signature(new, method=method))
        if isinstance(old, ast.AsyncFunctionDef) != isinstance(new, ast.AsyncFunctionDef):
            problems.append("changed between async and plain function")
        return problems + _return_breaks(old, new)
    if isinstance(old, ast.ClassDef) and isinstance(new, ast.ClassDef):
        old_init, new_init = _members(old).get("__init__"), _members(new).get("__init__")
        if isinstance(old_init, _Function) and isinstance(new_init, _Function):
            return [f"constructor: {p}" for p in signature_breaks(
                _signature(old_init, method=True), _signature(new_init, method=True))]
        return []
    callable_kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    literal = isinstance(new, ast.Assign) and isinstance(new.value, _LITERALS)
    if isinstance(old, callable_kinds) and (
            literal or not isinstance(new, (*callable_kinds, ast.Assign))):
        return ["is no longer a function or class"]
    return []  # bound by an assignment (an alias, a partial, a lambda): not checkable


_LITERALS = (ast.Constant, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.JoinedStr)


def _symbol_breaks(symbol: str, old: _Module, new: _Module) -> list[str]:
    name, _, member = symbol.partition(".")
    if name not in old.defs:
        # A name the old version imports (a package's re-export) must stay bound; one
        # it never bound is not ours to judge (dynamic, or a use that was already broken).
        kept = name in new.defs or name in new.imported or "*" in new.imported
        return ["removed"] if name in old.imported and not kept else []
    if name not in new.defs:
        if name in new.imported or "*" in new.imported:
            return []
        return ["removed"]
    dropped = (["no longer in __all__: a star import no longer brings it"]
               if old.exported is not None and new.exported is not None
               and name in old.exported - new.exported else [])
    old_def, new_def = old.definition(name), new.definition(name)
    if not member:
        return dropped + _compare_callables(old_def, new_def, method=False)
    if not isinstance(old_def, ast.ClassDef) or not isinstance(new_def, ast.ClassDef):
        return dropped
    old_members, new_members = _members(old_def), _members(new_def)
    if member not in old_members:
        return dropped
    if member not in new_members:
        return dropped + ([] if _may_inherit(new_def, member, new) else ["removed"])
    before, after = _kind(old_members[member]), _kind(new_members[member])
    if before != after and None not in (before, after) and (before, after) != ("method", "class"):
        return [*dropped, f"changed from {_KINDS[before]} to {_KINDS[after]}"]
    return dropped + _compare_callables(old_members[member], new_members[member], method=True)


_KINDS = {"property": "a property", "class": "a class or static method", "method": "a method"}


def used_by(radius: BlastRadius) -> dict[str, list[str]]:
    """Return symbol -> dependent files that use it, from a blast radius."""
    used: dict[str, list[str]] = {}
    for dependent in radius.dependents:
        for symbol in dependent.symbols:
            used.setdefault(symbol, []).append(dependent.file)
    return used


def api_breaks(
    old_source: str, new_source: str, used: dict[str, list[str]] | BlastRadius
) -> list[str]:
    """Return one line per used symbol the new source breaks, naming its dependents.

    Args:
        old_source: The module as dependents know it.
        new_source: The candidate version.
        used: Symbol ('func', 'Class', 'Class.method') -> files using it, or the
            target's BlastRadius.

    Returns:
        Lines like ``area: parameter 'h' removed (used by pkg/alias.py)``; empty when
        every used symbol still works as far as the source shows.

    """
    if isinstance(used, BlastRadius):
        used = used_by(used)
    if not used:
        return []
    old, new = _module(old_source), _module(new_source)
    if not old.parses:
        return []
    if not new.parses:
        return [f"new source does not parse: every used symbol is gone "
                f"(used by {_names(f for files in used.values() for f in files)})"]
    out = []
    for symbol in sorted(used):
        for problem in _symbol_breaks(symbol, old, new):
            out.append(f"{symbol}: {problem} (used by {_names(used[symbol])})")
    return out


def _names(files: Iterable[str]) -> str:
    unique = sorted(set(files))
    shown = ", ".join(unique[:5])
    return shown + (f" and {len(unique) - 5} more" if len(unique) > 5 else "")
