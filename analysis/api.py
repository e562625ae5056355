"""API compatibility: whether a new version of a module still serves the code using it.

A candidate may pass the target's own tests and still break a dependent that calls a
function it renamed, a parameter it dropped or a tuple it no longer returns. The
blast radius knows which symbols dependents use; this check compares the old and new
definitions of exactly those, so evaluate can reject the candidate and name who breaks.
Only what the source shows is checked: a break hidden behind dynamic code is not seen.
"""

from __future__ import annotations

import ast
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
            elif param.has_default and not moved.has_default:
                problems.append(f"parameter '{param.name}' lost its default")
        elif not new.varargs:
            if param.kind == "normal" and param.name in new.by_keyword():
                problems.append(f"parameter '{param.name}' became keyword-only")
            else:
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
    for param in new.params:
        if param.name not in old_names and not param.has_default:
            problems.append(f"new required parameter '{param.name}'")
    if old.varargs and not new.varargs:
        problems.append("no longer accepts *args")
    if old.varkw and not new.varkw:
        problems.append("no longer accepts **kwargs")
    return list(dict.fromkeys(problems))


def _return_shape(func: _Function) -> str | None:
    """Return 'tuple:N', 'value' or 'none' when every return agrees; else None."""
    shapes = set()
    stack: list[ast.AST] = list(func.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return "generator"
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
    if not shapes:
        return "none"
    return shapes.pop() if len(shapes) == 1 else None


def _return_breaks(old: _Function, new: _Function) -> list[str]:
    before, after = _return_shape(old), _return_shape(new)
    if before is None or after is None or before == after:
        return []
    if before.startswith("tuple") and after.startswith("tuple"):
        return [f"returns {after[6:]} values instead of {before[6:]}"]
    if before.startswith("tuple") and after == "none":
        return [f"returns None instead of a {before[6:]}-tuple"]
    if before == "value" and after == "none":
        return ["returns None instead of a value"]
    if before.startswith("tuple") or after.startswith("tuple"):
        if "value" in (before, after):
            return []  # a name may hold a tuple: not detectable
        return [f"return shape changed from {before} to {after}"]
    if "generator" in (before, after):
        return [f"changed from {'a generator' if before == 'generator' else 'a function'}"
                f" to {'a generator' if after == 'generator' else 'a function'}"]
    return []


@dataclass
class _Module:
    """Top-level names of a module and their definitions."""

    defs: dict[str, ast.AST]
    imported: set[str]
    parses: bool


def _module(source: str) -> _Module:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return _Module({}, set(), False)
    defs: dict[str, ast.AST] = {}
    imported: set[str] = set()
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
    return _Module(defs, imported, True)


def _members(cls: ast.ClassDef) -> dict[str, ast.AST]:
    out: dict[str, ast.AST] = {}
    for node in cls.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    out[target.id] = node
    return out


def _inherits(cls: ast.ClassDef) -> bool:
    return any(not (isinstance(b, ast.Name) and b.id == "object") for b in cls.bases)


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
    if isinstance(old, callable_kinds) and not isinstance(new, callable_kinds):
        return ["is no longer a function or class"]
    return []


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
    if not member:
        return _compare_callables(old.defs[name], new.defs[name], method=False)
    old_cls, new_cls = old.defs[name], new.defs[name]
    if not isinstance(old_cls, ast.ClassDef) or not isinstance(new_cls, ast.ClassDef):
        return []
    old_members, new_members = _members(old_cls), _members(new_cls)
    if member not in old_members:
        return []
    if member not in new_members:
        return [] if _inherits(new_cls) and _inherits(old_cls) else ["removed"]
    return _compare_callables(old_members[member], new_members[member], method=True)


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
