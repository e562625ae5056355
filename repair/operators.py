"""Small edits inside one statement's expressions, the ones real bugs are made of.

Each operator yields text edits for one statement, with a prior weight: how often an
edit of that kind is the fix for a real bug (off-by-one comparisons and constants
first, wrapping calls last). The weights follow what studies of one-line bugs in
Java and Python projects report (ManySStuBs4J, PySStuBs, QuixBugs): wrong operator,
wrong constant, wrong variable and a missing or extra +-1 dominate.

This module holds the operator tokens themselves (arithmetic, comparison, boolean,
augmented assignment), swapped operands and slices, and `expression_edits`, which
asks every kind in turn: `values` (constants, strings, off by one), `identifiers`
(a wrong name), `calls` (a call put on, taken off or reshaped) and `conditions`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from itertools import chain

from healloop.repair.calls import converted, reshapes, wraps
from healloop.repair.conditions import conditions, negations
from healloop.repair.edits import Edit
from healloop.repair.expressions import (
    BINOP_TEXT,
    CMP_TEXT,
    PREC_BINOP,
    Edits,
    find_token,
    precedence,
)
from healloop.repair.identifiers import identifiers
from healloop.repair.program import Program, Scope
from healloop.repair.values import constants, fstrings, lengths, off_by_one

# Replacement operators with prior weights; neighbours (< and <=) come first.
_BINOPS: dict[type[ast.operator], list[tuple[str, float]]] = {
    ast.Add: [("-", 0.8), ("*", 0.3)],
    ast.Sub: [("+", 0.8), ("*", 0.2)],
    ast.Mult: [("/", 0.4), ("//", 0.4), ("+", 0.3), ("**", 0.3)],
    ast.Div: [("//", 0.8), ("*", 0.5)],
    ast.FloorDiv: [("/", 0.7), ("%", 0.5), ("*", 0.4)],
    ast.Mod: [("//", 0.5), ("/", 0.2)],
    ast.Pow: [("*", 0.5)],
    ast.BitAnd: [("|", 0.7), ("^", 0.5)],
    ast.BitOr: [("&", 0.7), ("^", 0.5)],
    ast.BitXor: [("|", 0.5), ("&", 0.5)],
    ast.LShift: [(">>", 0.7)],
    ast.RShift: [("<<", 0.7)],
}


def _any_arithmetic(table: dict[type[ast.operator], list[tuple[str, float]]]) -> None:
    """Let any arithmetic operator become any other (`n - i == 0` for `n % i == 0`).

    Those the table does not name come after the named ones, at a low prior.
    """
    arithmetic = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
    for op in arithmetic:
        named = {text for text, _ in table[op]} | {BINOP_TEXT[op]}
        table[op] += [(BINOP_TEXT[o], 0.1) for o in arithmetic if BINOP_TEXT[o] not in named]


_any_arithmetic(_BINOPS)


_CMPOPS: dict[type[ast.cmpop], list[tuple[str, float]]] = {
    ast.Lt: [("<=", 1.0), (">", 0.6), (">=", 0.4), ("!=", 0.4), ("==", 0.3)],
    ast.LtE: [("<", 1.0), (">=", 0.6), (">", 0.4), ("==", 0.4), ("!=", 0.3)],
    ast.Gt: [(">=", 1.0), ("<", 0.6), ("<=", 0.4), ("!=", 0.4), ("==", 0.3)],
    ast.GtE: [(">", 1.0), ("<=", 0.6), ("<", 0.4), ("==", 0.4), ("!=", 0.3)],
    ast.Eq: [("!=", 0.8), ("<=", 0.4), (">=", 0.4), ("<", 0.3), (">", 0.3)],
    ast.NotEq: [("==", 0.8), ("<", 0.4), (">", 0.4)],
    ast.In: [("not in", 0.8)],
    ast.NotIn: [("in", 0.8)],
    ast.Is: [("is not", 0.8), ("==", 0.2)],
    ast.IsNot: [("is", 0.8), ("!=", 0.2)],
}


def expression_edits(program: Program, stmt: ast.stmt, scope: Scope) -> Iterator[Edit]:
    """Yield every expression-level edit of one statement."""
    make = Edits(program)
    line = stmt.lineno
    found: list[Iterable[Edit | None]] = []
    for node in program.nodes_of(stmt):
        found += [
            _operators(make, node, line),
            negations(make, program, stmt, node, line),
            constants(make, program, node, line),
            lengths(make, node, scope, line),
            off_by_one(make, program, node, scope, line),
            identifiers(make, program, node, scope, line),
            _swaps(make, program, node, line),
            _slices(make, node, line),
            wraps(make, program, node, scope, line),
            reshapes(make, program, node, scope, line),
            fstrings(make, program, node, scope, line),
        ]
    if isinstance(stmt, ast.AugAssign):
        found.append(_augassign(make, stmt, line))
    if isinstance(stmt, ast.Assign):
        found.append(_accumulations(make, program, stmt, line))
    found.append(conditions(make, program, stmt, scope, line))
    found.append(converted(make, program, stmt, line))
    for edit in chain.from_iterable(found):
        if edit is not None:
            yield edit


def _operators(make: Edits, node: ast.AST, line: int) -> Iterator[Edit | None]:
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        span = make.between(node.left, node.right, BINOP_TEXT[type(node.op)])
        if span:
            for new, weight in _BINOPS[type(node.op)]:
                yield make.span_edit(*span, new, "operator", weight, line)
    elif isinstance(node, ast.Compare):
        parts = [node.left, *node.comparators]
        for i, op in enumerate(node.ops):
            span = _cmp_span(make, parts[i], parts[i + 1], op)
            if span is None:
                continue
            for new, weight in _CMPOPS.get(type(op), []):
                yield make.span_edit(*span, new, "operator", weight, line)
    elif isinstance(node, ast.BoolOp):
        old, new = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        pairs = zip(node.values, node.values[1:], strict=False)
        found = [make.between(a, b, old) for a, b in pairs]
        spans = [span for span in found if span is not None]
        if len(spans) == len(found):
            text = make.p.text(node)
            start = make.p.span(node)[0]
            for span in sorted(spans, reverse=True):
                s, e = span[0] - start, span[1] - start
                text = text[:s] + new + text[e:]
            yield make.replace(node, text, "operator", 0.8, line)


def _cmp_span(make: Edits, left: ast.AST, right: ast.AST, op: ast.cmpop) -> tuple[int, int] | None:
    if isinstance(op, ast.NotIn | ast.IsNot):
        first, second = ("not", "in") if isinstance(op, ast.NotIn) else ("is", "not")
        a = make.between(left, right, first)
        if a is None:
            return None
        rest = make.p.source[a[1]: make.p.span(right)[0]]
        b = find_token(rest, second)
        return None if b is None else (a[0], a[1] + b + len(second))
    return make.between(left, right, CMP_TEXT[type(op)])


def _augassign(make: Edits, stmt: ast.AugAssign, line: int) -> Iterator[Edit | None]:
    token = BINOP_TEXT.get(type(stmt.op))
    if token is None or type(stmt.op) not in _BINOPS:
        return
    span = make.between(stmt.target, stmt.value, token + "=")
    if span:
        for new, weight in _BINOPS[type(stmt.op)]:
            yield make.span_edit(*span, new + "=", "operator", weight, line)
    # `x += y` where `x = y` was meant, and the other way round.
    if span:
        yield make.span_edit(*span, "=", "operator", 0.3, line)


def _accumulations(make: Edits, program: Program, stmt: ast.Assign,
                   line: int) -> Iterator[Edit | None]:
    """`d[k] = 1` in a loop where `d[k] += 1` was meant: a count or a sum started anew.

    Only where a for loop's item is added up (`total = x`) or a constant counted
    (`d[item] = 1`): `lo = mid` in a binary search's while loop is no sum.
    """
    if len(stmt.targets) != 1 or isinstance(stmt.targets[0], ast.Tuple | ast.List | ast.Starred):
        return
    node: ast.AST | None = program.parents.get(stmt)
    while node is not None and not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        if isinstance(node, ast.For | ast.AsyncFor):
            items = {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
            read = {n.id for n in ast.walk(stmt.value) if isinstance(n, ast.Name)}
            span = make.between(stmt.targets[0], stmt.value, "=")
            if span and (isinstance(stmt.value, ast.Constant) or read & items):
                yield make.span_edit(*span, "+=", "operator", 0.35, line)
            value, target = stmt.value, program.text(stmt.targets[0])
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and (
                value.func.id in ("max", "min") and isinstance(node.target, ast.Name)
                and target not in read
            ):
                # a running extreme over the whole input: `top = max(numbers)` in the
                # loop where `top = max(top, n)` was meant
                yield make.replace(value, f"{value.func.id}({target}, {node.target.id})",
                                   "wrap", 0.3, line)
            return
        node = program.parents.get(node)


_NON_COMMUTATIVE = (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.LShift, ast.RShift)


def _swaps(make: Edits, program: Program, node: ast.AST, line: int) -> Iterator[Edit | None]:
    if isinstance(node, ast.Call) and len(node.args) >= 2 and not any(
        isinstance(a, ast.Starred) for a in node.args
    ):
        yield from _element_swaps(make, program, node.args, 0.5, line)
    elif isinstance(node, ast.Tuple | ast.List) and 2 <= len(node.elts) <= 3 and isinstance(
        node.ctx, ast.Load
    ) and not any(isinstance(e, ast.Starred) for e in node.elts):
        # `d[i, k]` where `d[k, i]` was meant; `return lo, hi` for `return hi, lo`;
        # `return [index, value]` for `return [value, index]`.
        parent = program.parents.get(node)
        index = isinstance(parent, ast.Subscript) and node is parent.slice
        yield from _element_swaps(make, program, node.elts, 0.5 if index else 0.4, line)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, (*_NON_COMMUTATIVE, ast.Add)):
        # `+` commutes for numbers but not for strings and lists: `s + c` vs `c + s`.
        weight = 0.3 if isinstance(node.op, ast.Add) else 0.5
        left, right = program.text(node.left), program.text(node.right)
        op = BINOP_TEXT[type(node.op)]
        p = PREC_BINOP[type(node.op)]
        if precedence(node.right) < p or (precedence(node.right) == p and not isinstance(
            node.op, ast.Pow
        )):
            right = f"({right})"
        if precedence(node.left) <= p:
            left = f"({left})"
        yield make.replace(node, f"{right} {op} {left}", "swap", weight, line)


def _element_swaps(
    make: Edits, program: Program, items: list[ast.expr], weight: float, line: int
) -> Iterator[Edit]:
    """Swap two items of a list of expressions (arguments, tuple elements), at most two apart."""
    src = program.source
    for i in range(len(items)):
        for j in range(i + 1, min(len(items), i + 3)):
            a, b = program.span(items[i]), program.span(items[j])
            text, other = src[a[0]: a[1]], src[b[0]: b[1]]
            if text == other:
                continue
            swapped = other + src[a[1]: b[0]] + text
            yield make.span_edit(a[0], b[1], swapped, "swap", weight, line)


def _slices(make: Edits, node: ast.AST, line: int) -> Iterator[Edit | None]:
    parent = make.p.parents.get(node)
    if isinstance(parent, ast.Return) and isinstance(node, ast.ListComp | ast.List | ast.Call):
        # A list returned whole where its first or last item had to go, or reversed:
        # `return [i * x for i, x in enumerate(xs)]` for the derivative's `[1:]`.
        text = make.p.text(node)
        for cut, weight in (("[1:]", 0.3), ("[:-1]", 0.3), ("[::-1]", 0.25)):
            yield make.replace(node, text + cut, "slice", weight, line)
    if not isinstance(node, ast.Slice):
        return
    p = make.p
    start, end = p.span(node)
    lower = p.text(node.lower) if node.lower else ""
    upper = p.text(node.upper) if node.upper else ""
    step = p.text(node.step) if node.step else None

    def build(lo: str, up: str, st: str | None) -> str:
        return f"{lo}:{up}" + (f":{st}" if st is not None else "")

    options: list[tuple[str, float]] = []
    if node.lower is not None:
        options.append((build("", upper, step), 0.5))
    else:
        options.append((build("1", upper, step), 0.4))
    if node.upper is not None:
        options.append((build(lower, "", step), 0.5))
    else:
        options.append((build(lower, "-1", step), 0.4))
    if node.step is not None:
        options.append((build(lower, upper, None), 0.4))
    if node.lower is not None and node.upper is not None:
        options.append((build(upper, lower, step), 0.3))
    elif node.lower is not None or node.upper is not None:
        options.append((build(upper, lower, step), 0.5))  # `xs[:-n]` where `xs[-n:]` was meant
    for text, weight in options:
        yield make.span_edit(start, end, text, "slice", weight, line)

