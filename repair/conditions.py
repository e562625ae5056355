"""A wrong condition: negated, narrowed, widened, or missing its None check.

The pool of conditions a fix may copy is the function's own tests and their
negations, membership checks for the collections it fills, the module's predicates,
the items two nested loops pair up and simple checks of each parameter; other repair
modules (statements, hinted) take their guards from the same pool.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from healloop.repair.edits import Edit
from healloop.repair.expressions import Edits, precedence, precedence_of_text
from healloop.repair.program import Program, Scope, walk_own


def _is_test(program: Program, node: ast.AST) -> bool:
    parent = program.parents.get(node)
    if isinstance(parent, ast.If | ast.While | ast.IfExp | ast.Assert) and node is parent.test:
        return True
    if isinstance(parent, ast.comprehension) and node in parent.ifs:
        return True
    if isinstance(parent, ast.BoolOp):
        return True
    return False


def negations(
    make: Edits, program: Program, stmt: ast.stmt, node: ast.AST, line: int
) -> Iterator[Edit | None]:
    """Yield a `not` taken off, or put on a test or a returned truth value."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield make.replace(node, program.text(node.operand), "negation", 0.75, line)
        return
    if not isinstance(node, ast.expr) or isinstance(node, ast.Compare | ast.Constant):
        return
    if _is_test(program, node):
        text = program.text(node)
        inner = f"({text})" if precedence(node) < 4 else text
        yield make.replace(node, f"not {inner}", "negation", 0.65, line)
    elif isinstance(stmt, ast.Return) and node is stmt.value and isinstance(
        node, ast.BoolOp | ast.Call | ast.Name
    ):
        text = program.text(node)
        inner = f"({text})" if precedence(node) < 4 else text
        yield make.replace(node, f"not {inner}", "negation", 0.4, line)


def conditions(
    make: Edits, program: Program, stmt: ast.stmt, scope: Scope, line: int
) -> Iterator[Edit | None]:
    """Narrow, widen or loosen the test of an if, a while or a ternary."""
    tests: list[ast.expr] = []
    if isinstance(stmt, ast.If | ast.While):
        tests.append(stmt.test)
    for node in program.nodes_of(stmt):
        if isinstance(node, ast.IfExp):
            tests.append(node.test)
        elif isinstance(node, ast.comprehension):
            tests.extend(node.ifs)
    for test in tests:
        if isinstance(test, ast.Constant) and test.value is True:
            # `while True:` that should have been `while queue:`
            for name, kinds in scope.names.items():
                if "seq" in kinds:
                    yield make.replace(test, name, "condition", 0.4, line)
        if isinstance(test, ast.BoolOp):
            for value in test.values:
                rest = [program.text(v) for v in test.values if v is not value]
                joiner = " and " if isinstance(test.op, ast.And) else " or "
                yield make.replace(test, joiner.join(rest), "condition", 0.5, line)
        yield from _owner_guards(make, test, line)
        own = program.text(test)
        for guarded in null_guarded(test, own, nullable(program, scope))[:2]:
            # `if n < 0` that n=None reaches: the missing null check
            yield make.replace(test, guarded, "condition", 0.35, line)
        for extra in condition_pool(program, scope, exclude=own)[:12]:
            inner = own if precedence(test) > 3 else f"({own})"
            extra_and = extra if precedence_of_text(extra) > 3 else f"({extra})"
            yield make.replace(test, f"{inner} and {extra_and}", "condition", 0.3, line)
            inner = own if precedence(test) > 2 else f"({own})"
            extra_or = extra if precedence_of_text(extra) > 2 else f"({extra})"
            yield make.replace(test, f"{inner} or {extra_or}", "condition", 0.25, line)


def nullable(program: Program, scope: Scope) -> set[str]:
    """Return the names of a function that may hold None.

    A name the function compares with None, a parameter whose default is None, or a
    name assigned None: a condition that reads it needs `x is not None and ...`
    first, the null check TBar's and PAR's templates insert.
    """
    function = scope.node
    if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
        return set()
    cache: dict[int, set[str]] = program.__dict__.setdefault("_nullable", {})
    if id(function) in cache:
        return cache[id(function)]
    found: set[str] = set()
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    for arg, default in zip(positional[len(positional) - len(args.defaults):], args.defaults,
                            strict=False):
        if isinstance(default, ast.Constant) and default.value is None:
            found.add(arg.arg)
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=False):
        if isinstance(default, ast.Constant) and default.value is None:
            found.add(arg.arg)
    for node in ast.walk(function):
        if isinstance(node, ast.Compare):
            if isinstance(left := compared_with_none(node), ast.Name):
                found.add(left.id)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and (
            node.value.value is None
        ):
            found.update(t.id for t in node.targets if isinstance(t, ast.Name))
    cache[id(function)] = found
    return found


def null_guarded(test: ast.expr, text: str, names: set[str]) -> list[str]:
    """Return `x is not None and <test>` for each nullable name test reads unguarded."""
    read = [n.id for n in ast.walk(test) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load) and n.id in names]
    checked = {n.left.id for n in ast.walk(test) if isinstance(n, ast.Compare)
               and isinstance(n.left, ast.Name) and any(
                   isinstance(c, ast.Constant) and c.value is None for c in n.comparators)}
    inner = text if precedence(test) > 3 else f"({text})"
    return [f"{name} is not None and {inner}" for name in dict.fromkeys(read)
            if name not in checked]


def is_chain(node: ast.AST) -> bool:
    """Return whether node is a plain name or an attribute chain on one (`a`, `a.b.c`)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def compared_with_none(node: ast.AST) -> ast.expr | None:
    """Return x of `x is None`, `x is not None`, `x == None` or `x != None`, else None."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(
        node.ops[0], ast.Is | ast.IsNot | ast.Eq | ast.NotEq
    ) and isinstance(node.comparators[0], ast.Constant) and node.comparators[0].value is None:
        return node.left
    return None


def none_checked(test: ast.expr) -> set[str]:
    """Return the texts of the expressions test compares with None (`x is None`)."""
    return {ast.unparse(left) for n in ast.walk(test)
            if (left := compared_with_none(n)) is not None}


def owner_checks(test: ast.expr, text: str, owner: str) -> tuple[str, str]:
    """Return (`owner is None or <test>`, `owner is not None and <test>`).

    The first suits a test that finds the end (`if o.next is None: return`), the
    second one that goes on (`while o.next is not None:`): either way the attribute is
    no longer read on None.
    """
    either = text if precedence(test) > 2 else f"({text})"
    both = text if precedence(test) > 3 else f"({text})"
    return f"{owner} is None or {either}", f"{owner} is not None and {both}"


def _owner_guards(make: Edits, test: ast.expr, line: int) -> Iterator[Edit | None]:
    """`x.a is None` → `x is None or x.a is None` (and `is not` → `x is not None and`).

    A linked structure's walk that tests the next link forgets that the current one
    may already be None; cheap, so tried without a message naming None too.
    """
    checked = none_checked(test)
    for node in ast.walk(test):
        left = compared_with_none(node)
        if not (isinstance(left, ast.Attribute) and is_chain(left)
                and isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.Is | ast.IsNot)):
            continue
        owner = ast.unparse(left.value)
        if owner in checked:
            continue
        either, both = owner_checks(node, make.p.text(node), owner)
        yield make.replace(node, either if isinstance(node.ops[0], ast.Is) else both,
                           "condition", 0.2, line)


def condition_pool(program: Program, scope: Scope, *, exclude: str = "") -> list[str]:
    """Return conditions a fix may copy: the function's own, their negations, simple checks."""
    seen: list[str] = []

    def add(text: str) -> None:
        if text and text not in seen and text != exclude and text not in exclude:
            seen.append(text)

    for cond in scope.conditions:
        text = program.text(cond)
        add(text)
    for cond in scope.conditions:
        text = program.text(cond)
        if isinstance(cond, ast.UnaryOp) and isinstance(cond.op, ast.Not):
            continue
        add(negate_text(cond, text))
    for item, collection in _memberships(scope):
        add(f"{item} not in {collection}")
        add(f"{item} in {collection}")
    for predicate in _predicates(program, scope)[:4]:
        add(predicate)
    for outer, inner in _nested_loop_names(scope):
        add(f"{outer} == {inner}")  # the items two loops pair up must match
        add(f"{outer} != {inner}")
    function = scope.node
    if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
        for arg in function.args.args:
            kinds = scope.names.get(arg.arg, set())
            if arg.arg in ("self", "cls"):
                continue
            if "seq" in kinds or "str" in kinds:
                add(f"not {arg.arg}")
            elif "num" in kinds:
                add(f"{arg.arg} <= 0")
            else:
                add(f"{arg.arg} is None")
    return seen


def _predicates(program: Program, scope: Scope) -> list[str]:
    """Return `is_prime(n)` for the module's one-argument predicates and the names tested."""
    defined = [*program.tree.body, *walk_own(scope.node)]  # the module's and its own
    predicates = [f.name for f in defined if isinstance(f, ast.FunctionDef)
                  and f.name.startswith(("is_", "has_")) and len(f.args.args) == 1
                  and f is not scope.node]
    tested = dict.fromkeys(n.id for cond in scope.conditions for n in ast.walk(cond)
                           if isinstance(n, ast.Name) and n.id in scope.names)
    return [f"{p}({name})" for p in predicates for name in tested]


def _nested_loop_names(scope: Scope) -> list[tuple[str, str]]:
    """Return the (outer, inner) names two nested for loops bind, item by item."""
    loops = [(n, n.target.id) for n in walk_own(scope.node)
             if isinstance(n, ast.For) and isinstance(n.target, ast.Name)]
    pairs = []
    for outer, name in loops:
        inside = set(ast.walk(outer))
        pairs += [(name, other) for inner, other in loops
                  if inner is not outer and inner in inside and other != name]
    return pairs


def _memberships(scope: Scope) -> list[tuple[str, str]]:
    """Return (item, collection) pairs where code puts a name into a collection.

    `seen.add(x)` or `out.append(x)` suggests the missing check `x not in seen`.
    """
    pairs: list[tuple[str, str]] = []
    root = scope.node
    for node in ast.walk(root):
        if (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("add", "append", "appendleft", "insert")
            and isinstance(node.func.value, ast.Name) and node.args
            and isinstance(node.args[-1], ast.Name)
        ):
            pair = (node.args[-1].id, node.func.value.id)
            if pair not in pairs:
                pairs.append(pair)
    return pairs[:4]


def negate_text(cond: ast.expr, text: str) -> str:
    """Return the negation of a condition as natural text."""
    if isinstance(cond, ast.Compare) and len(cond.ops) == 1:
        flips = {ast.Lt: ">=", ast.LtE: ">", ast.Gt: "<=", ast.GtE: "<", ast.Eq: "!=",
                 ast.NotEq: "==", ast.In: "not in", ast.NotIn: "in", ast.Is: "is not",
                 ast.IsNot: "is"}
        op = flips.get(type(cond.ops[0]))
        if op:
            return f"{ast.unparse(cond.left)} {op} {ast.unparse(cond.comparators[0])}"
    if isinstance(cond, ast.UnaryOp) and isinstance(cond.op, ast.Not):
        return ast.unparse(cond.operand)
    return f"not {text}" if precedence(cond) >= 4 else f"not ({text})"

