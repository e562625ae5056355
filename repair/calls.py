"""A call around a value: wrapped, taken off, shaped a little differently or forgotten.

`abs(d)`, `max(x, 0)`, `len(xs)`, `sorted(xs)` and `set(xs)` put on or taken off a
value; `sorted(xs, reverse=True)`, one chained call too many, one constant too many
in a literal; a value passed on without the conversion the class applies elsewhere.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from healloop.repair.edits import Edit
from healloop.repair.expressions import CMP_TEXT, Edits
from healloop.repair.program import Program, Scope
from healloop.repair.values import is_numeric

_UNWRAP = {"min", "max", "abs", "len", "list", "sorted", "int", "round", "reversed", "set",
           "tuple", "str", "float", "sum"}


def wraps(
    make: Edits, program: Program, node: ast.AST, scope: Scope, line: int
) -> Iterator[Edit | None]:
    """Yield a call taken off node or put around it: `abs()`, `max(x, 0)`, `len()`, `set()`."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        if node.func.id in _UNWRAP and len(node.args) == 1:
            yield make.replace(node, program.text(node.args[0]), "wrap", 0.45, line)
        elif node.func.id in scope.functions and len(node.args) == 1 and not isinstance(
            node.args[0], ast.Starred
        ):
            # `yield flatten(x)` where the item itself was meant
            yield make.replace(node, program.text(node.args[0]), "wrap", 0.25, line)
        elif node.func.id in ("min", "max") and len(node.args) == 2:
            for arg in node.args:
                yield make.replace(node, program.text(arg), "wrap", 0.45, line)
    if isinstance(node, ast.Compare):
        yield from _both_sides(make, node, scope, line)
    if not isinstance(node, ast.Name | ast.Call | ast.Subscript | ast.Attribute | ast.BinOp):
        return
    parent = program.parents.get(node)
    context = (
        isinstance(parent, ast.Return | ast.Assign | ast.Compare | ast.For | ast.comprehension)
        or (isinstance(parent, ast.Call) and node in parent.args)
        or (isinstance(parent, ast.Subscript) and node is parent.slice)
    )
    if (
        isinstance(parent, ast.BinOp) and isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Sub) and isinstance(parent.op, ast.Add | ast.Sub)
    ):
        # a sum of distances where one difference lost its abs()
        yield make.replace(node, f"abs({program.text(node)})", "wrap", 0.3, line)
    if not context and isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and not (
        isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Add | ast.Sub)
    ):
        # a difference that must not go below zero wherever it is used (a precision,
        # a width, a count): `"%if" % (precision - digits)`
        yield make.replace(node, f"max({program.text(node)}, 0)", "wrap", 0.3, line)
    if not context or (isinstance(parent, ast.For | ast.comprehension) and node is not getattr(
        parent, "iter", None
    )):
        return
    text = program.text(node)
    kinds = scope.names.get(node.id, set()) if isinstance(node, ast.Name) else set()
    if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and (
        parent.func.id in _UNWRAP
    ):
        # Inside a conversion only a refinement: `len(set(xs))`, `set(s.lower())`.
        if "seq" in kinds and parent.func.id in ("sorted", "len", "list", "sum", "tuple"):
            yield make.replace(node, f"set({text})", "wrap", 0.3, line)
        if "str" in kinds:
            yield make.replace(node, f"{text}.lower()", "wrap", 0.25, line)
        return
    numeric = "num" in kinds or is_numeric(node, scope) or isinstance(node, ast.BinOp)
    sequence = "seq" in kinds
    if numeric:
        yield make.replace(node, f"abs({text})", "wrap", 0.3, line)
        yield make.replace(node, f"max({text}, 0)", "wrap", 0.3, line)
        for other in _numeric_peers(program, node, scope):
            yield make.replace(node, f"min({text}, {other})", "wrap", 0.25, line)
            yield make.replace(node, f"max({text}, {other})", "wrap", 0.25, line)
    if sequence or (not kinds and isinstance(node, ast.Name)):
        weight = 0.3 if sequence else 0.15
        if isinstance(parent, ast.Compare) or (
            isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name)
            and parent.func.id == "range"
        ):
            yield make.replace(node, f"len({text})", "wrap", weight + 0.05, line)
        yield make.replace(node, f"sorted({text})", "wrap", weight, line)
        if sequence:
            yield make.replace(node, f"sorted({text}, key=len)", "wrap", weight - 0.1, line)
        yield make.replace(node, f"list({text})", "wrap", weight, line)
        yield make.replace(node, f"set({text})", "wrap", weight - 0.05, line)
    if "str" in kinds:
        yield make.replace(node, f"{text}.lower()", "wrap", 0.25, line)
        for method in ("upper", "swapcase", "strip"):  # a text's case or its ends forgotten
            yield make.replace(node, f"{text}.{method}()", "wrap", 0.2, line)


def _both_sides(make: Edits, node: ast.Compare, scope: Scope, line: int) -> Iterator[Edit]:
    """Yield `a == b` compared through one view of both: `set(a) == set(b)`."""
    if len(node.ops) != 1 or not isinstance(node.ops[0], ast.Eq | ast.NotEq):
        return
    left, right = node.left, node.comparators[0]
    if not isinstance(left, ast.Name) or not isinstance(right, ast.Name):
        return
    op = CMP_TEXT[type(node.ops[0])]
    kinds = scope.names.get(left.id, set()) | scope.names.get(right.id, set())
    views = ["set({})", "sorted({})", "len({})"]
    if "str" in kinds:
        views.append("{}.lower()")
    for view in views:
        yield make.replace(node, f"{view.format(left.id)} {op} {view.format(right.id)}",
                           "wrap", 0.25, line)


_KEYED = ("sorted", "sort", "min", "max")
"""Calls that order by a key: the one forgotten is most often a length or a size."""


def reshapes(
    make: Edits, program: Program, node: ast.AST, scope: Scope, line: int
) -> Iterator[Edit | None]:
    """Yield the call or literal shaped a little differently from the one written.

    - `sorted(xs)` where `sorted(xs, reverse=True)` was meant (`.sort()` too);
    - `sorted(words)` or `max(words)` without the key meant, `key=len` or `key=abs`;
    - `s.replace(a, b).replace(c, d)`, one call of a chain too many: the first alone;
    - `(1, 2, 3, 5)` holding one constant too many;
    - `for x in xs` where the loop had to stop at a count: `xs[:k]`.
    """
    if isinstance(node, ast.Call):
        func = node.func
        named = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else "")
        if named in ("sorted", "sort") and not any(k.arg == "reverse" for k in node.keywords):
            yield make.replace(node, _with(program, node, "reverse=True"), "wrap", 0.3, line)
        if named in _KEYED and not any(k.arg == "key" for k in node.keywords) and (
            node.args or named == "sort"
        ):
            for key in ("len", "abs"):
                yield make.replace(node, _with(program, node, f"key={key}"), "wrap", 0.2, line)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call) and isinstance(
            func.value.func, ast.Attribute
        ):
            yield make.replace(node, program.text(func.value), "wrap", 0.3, line)
    elif isinstance(node, ast.Tuple | ast.List | ast.Set) and 3 <= len(node.elts) <= 12 and all(
        isinstance(e, ast.Constant) for e in node.elts
    ) and (isinstance(node, ast.Set) or isinstance(node.ctx, ast.Load)):
        texts = [program.text(e) for e in node.elts]
        open_, close = {ast.Tuple: "()", ast.List: "[]", ast.Set: "{}"}[type(node)]
        if isinstance(node, ast.Tuple) and not program.text(node).startswith("("):
            open_, close = "", ""
        for i in range(len(texts)):
            kept = ", ".join(texts[:i] + texts[i + 1:])
            yield make.replace(node, f"{open_}{kept}{close}", "constant", 0.25, line)
    parent = program.parents.get(node)
    if isinstance(node, ast.Name) and isinstance(parent, ast.For | ast.comprehension) and (
        node is parent.iter
    ):
        for name, kinds in scope.names.items():
            if kinds <= {"num"} and name != node.id and _is_parameter(scope, name):
                yield make.replace(node, f"{node.id}[:{name}]", "slice", 0.25, line)
    elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and isinstance(
        parent, ast.Call
    ) and node in parent.args and scope.names.get(node.id, set()) & {"seq", "str"}:
        # `is_palindrome(text)` where the part from an index on was meant
        for name, kinds in scope.names.items():
            if "num" in kinds and name != node.id:
                yield make.replace(node, f"{node.id}[{name}:]", "slice", 0.2, line)
                yield make.replace(node, f"{node.id}[:{name}]", "slice", 0.2, line)


def _with(program: Program, call: ast.Call, keyword: str) -> str:
    """Return the call's text with one more keyword argument: `sorted(xs, key=len)`."""
    text = program.text(call)
    return text[:-1] + (", " if call.args or call.keywords else "") + keyword + ")"


def _is_parameter(scope: Scope, name: str) -> bool:
    function = scope.node
    return isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) and name in {
        a.arg for a in [*function.args.posonlyargs, *function.args.args]}


_CONVERTERS = ("tuple", "list", "dict", "set", "frozenset", "str", "int", "float", "bool")


def converted(make: Edits, program: Program, stmt: ast.stmt, line: int) -> Iterator[Edit | None]:
    """`return value` → `return self.mapping_type(value)`: a value passed on unconverted.

    The callables are those the class or function already applies to values: a type
    the class keeps in an attribute and calls (`self.mapping_type()`), or a builtin
    conversion the function calls. Every statement of the class (or module) with the
    same text gets the same conversion in a second edit: a forgotten conversion is
    usually forgotten at each of its copies.
    """
    value = stmt.value if isinstance(stmt, ast.Return | ast.Assign) else None
    if not isinstance(value, ast.Name | ast.Attribute) or (
        isinstance(stmt, ast.Assign) and len(stmt.targets) != 1
    ):
        return
    function = program.function_of(stmt)
    if function is None:
        return
    text = program.text(value)
    sites = _same_statements(program, function, stmt)
    for callee, weight in _callables(program, function):
        if callee == text:
            continue
        yield make.replace(value, f"{callee}({text})", "wrap",
                           weight - 0.02 if len(sites) > 1 else weight, line)
        if len(sites) > 1:
            pieces, last = [], program.span(sites[0])[0]
            for site in sites:
                start, end = program.span(site.value)  # type: ignore[attr-defined]
                pieces += [program.source[last:start], f"{callee}({text})"]
                last = end
            first = program.span(sites[0])[0]
            end = program.span(sites[-1])[1]
            pieces.append(program.source[last:end])
            yield make.span_edit(first, end, "".join(pieces), "wrap", weight, line)


def _callables(program: Program, function: ast.AST) -> list[tuple[str, float]]:
    """Return the converting callables the function's class or the function itself uses."""
    owner = program.parents.get(function)
    found: dict[str, float] = {}
    if isinstance(owner, ast.ClassDef):
        stored = {t.id for s in owner.body if isinstance(s, ast.Assign | ast.AnnAssign)
                  for t in (s.targets if isinstance(s, ast.Assign) else [s.target])
                  if isinstance(t, ast.Name)}
        stored |= {t.attr for n in ast.walk(owner) if isinstance(n, ast.Assign)
                   for t in n.targets if isinstance(t, ast.Attribute)
                   and isinstance(t.value, ast.Name) and t.value.id == "self"}
        for node in ast.walk(owner):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
                isinstance(node.func.value, ast.Name) and node.func.value.id == "self"
                and node.func.attr in stored and len(node.args) <= 1 and not node.keywords
            ):
                found.setdefault(f"self.{node.func.attr}", 0.3)
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
            node.func.id in _CONVERTERS and len(node.args) == 1
        ):
            found.setdefault(node.func.id, 0.2)
    return list(found.items())[:4]


def _same_statements(program: Program, function: ast.AST, stmt: ast.stmt) -> list[ast.stmt]:
    """Return the statements with stmt's text in stmt's class (or function), in order."""
    owner = program.parents.get(function)
    root = owner if isinstance(owner, ast.ClassDef) else function
    text = program.text(stmt)
    return sorted((n for n in ast.walk(root) if isinstance(n, type(stmt))
                   and program.text(n) == text), key=lambda n: (n.lineno, n.col_offset))


def _numeric_peers(program: Program, node: ast.AST, scope: Scope) -> list[str]:
    """Numbers a min/max could bound node by: nearby numeric names and len() calls."""
    function = program.function_of(node)
    root = function if function is not None else program.tree
    texts: list[str] = []
    own = program.text(node)
    for sub in ast.walk(root):
        if (isinstance(sub, ast.Name) and "num" in scope.names.get(sub.id, set())) or (
            isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name)
            and sub.func.id == "len" and len(sub.args) == 1
        ):
            text = program.text(sub)
            if text != own and text not in texts and own not in text:
                texts.append(text)
    return texts[:6]

