"""Edits that add, remove or move whole statements.

Some bugs are not a wrong token but a missing or extra line: a guard for the empty
case, a forgotten ``i += 1``, a return at the end, an update done before its use.
Repair does not invent code: it copies and adapts what the function already says
(its conditions, its return values, its statements), which keeps the search small
and the patches recognisable.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator

from healloop.repair.conditions import condition_pool
from healloop.repair.edits import Edit, EditKind
from healloop.repair.program import Program, Scope, compatible, walk_own
from healloop.repair.recursion import recursion_edits

_LITERAL_RETURNS = ("None", "0", "-1", "[]", "False", "True", '""')


def statement_edits(program: Program, stmt: ast.stmt, scope: Scope) -> Iterator[Edit]:
    """Yield every statement-level edit around one statement."""
    if not _own_lines(program, stmt):
        return
    yield from _deletions(program, stmt)
    yield from _moves(program, stmt)
    yield from _guards(program, stmt, scope)
    yield from _copies(program, stmt, scope)
    yield from _wrap_in_if(program, stmt, scope)
    yield from _fills(program, stmt)
    yield from _progress(program, stmt)
    yield from _carried(program, stmt)
    yield from recursion_edits(program, stmt)


def _progress(program: Program, stmt: ast.stmt) -> Iterator[Edit]:
    """`while div:` whose body never changes `div`: the step that ends the loop is missing.

    Only for a loop with no way out but its test (no break, return or raise): entered
    once, it never ends. Each name the test reads and the body never assigns gets
    `name -= 1` (and `+= 1`) as the body's last statement.
    """
    if not isinstance(stmt, ast.While) or not stmt.body:
        return
    body = [n for s in stmt.body for n in ast.walk(s)]
    if any(isinstance(n, ast.Break | ast.Return | ast.Raise | ast.Yield) for n in body):
        return
    assigned = {n.id for n in body if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    read = dict.fromkeys(n.id for n in ast.walk(stmt.test) if isinstance(n, ast.Name)
                         and isinstance(n.ctx, ast.Load) and n.id not in assigned)
    last = stmt.body[-1]
    if not _own_lines(program, last):
        return
    end = _full_span(program, last)[1]
    indent = program.indent_of(last)
    for name in read:
        for step, weight in (("-= 1", 0.45), ("+= 1", 0.35)):
            yield _edit(program, end, end, f"{indent}{name} {step}\n", "insert", weight,
                        _after(last))


_CARRIED = 2
"""Values left behind by one loop that get an update, at most (each from 4 names)."""
_SPOTS = 10
"""Statements of a loop's body an update is tried after, at most, the earliest first."""


def _carried(program: Program, stmt: ast.stmt) -> Iterator[Edit]:
    """`prev = None` before a loop that reads `prev` and never sets it: the update is missing.

    A name set before a loop, read in its body and again after it (returned, say),
    that the body never assigns keeps its first value through every pass: the
    reversal that links each node to `prevnode` but never moves `prevnode` on. The
    update `prev = x` is tried after each statement of the body, x a name the loop
    binds or sets, or one its test reads.
    """
    if not isinstance(stmt, ast.For | ast.While) or not stmt.body:
        return
    function = program.function_of(stmt)
    if function is None:
        return
    inside = [n for s in stmt.body for n in walk_own(s)] + list(stmt.body)
    stored = {n.id for n in inside if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    bound = {n.id for n in ast.walk(stmt.target) if isinstance(n, ast.Name)} if isinstance(
        stmt, ast.For) else {n.id for n in ast.walk(stmt.test) if isinstance(n, ast.Name)}
    read_inside = {n.id for n in inside if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    end = stmt.end_lineno or stmt.lineno
    before, after = set(), set()
    for node in walk_own(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and (
            node.lineno < stmt.lineno
        ):
            before.add(node.id)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.lineno > end:
            after.add(node.id)
    carried = sorted((before & read_inside & after) - stored - bound)[:_CARRIED]
    values = [*sorted(bound - set(carried)), *sorted(stored - bound - set(carried))][:_CARRIED * 2]
    if not carried or not values:
        return
    spots = sorted((s for s in inside if isinstance(s, ast.stmt) and not isinstance(
        s, ast.For | ast.While | ast.If | ast.With | ast.Try) and _own_lines(program, s)),
        key=lambda s: s.lineno)[:_SPOTS]
    for name in carried:
        for value in values:
            for spot in spots:
                at = _full_span(program, spot)[1]
                yield _edit(program, at, at, f"{program.indent_of(spot)}{name} = {value}\n",
                            "insert", 0.4, _after(spot))


def _own_lines(program: Program, stmt: ast.stmt) -> bool:
    """Return whether stmt is alone on its lines (no `a; b`, no `if x: y`)."""
    start, end = program.span(stmt)
    before = program.source[program.line_start(stmt.lineno): start]
    line_end = program.source.find("\n", end)
    after = program.source[end: len(program.source) if line_end < 0 else line_end]
    return not before.strip() and (not after.strip() or after.strip().startswith("#"))


def _full_span(program: Program, stmt: ast.stmt) -> tuple[int, int]:
    """Return the span of a statement's whole lines, newline included."""
    start = program.line_start(stmt.lineno)
    end = program.span(stmt)[1]
    newline = program.source.find("\n", end)
    return start, len(program.source) if newline < 0 else newline + 1


def _after(stmt: ast.stmt) -> int:
    """Return the line an insertion after stmt lands on."""
    return (stmt.end_lineno or stmt.lineno) + 1


def _edit(
    program: Program, start: int, end: int, text: str, kind: EditKind, weight: float, line: int
) -> Edit:
    return Edit(kind, start, end, text, line, program.source[start:end], weight)


def _deletions(program: Program, stmt: ast.stmt) -> Iterator[Edit]:
    block = program.block_of(stmt)
    if block is None:
        return
    if isinstance(stmt, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Expr):
        weight = 0.35
    elif isinstance(stmt, ast.If | ast.Return | ast.Break | ast.Continue | ast.Raise):
        weight = 0.25
    else:
        return
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return  # a docstring
    start, end = _full_span(program, stmt)
    if len(block) == 1:
        text = program.indent_of(stmt) + "pass\n"
    else:
        text = ""
    yield _edit(program, start, end, text, "delete", weight, stmt.lineno)


def _moves(program: Program, stmt: ast.stmt) -> Iterator[Edit]:
    """Swap a simple statement with the next one: an update done too early."""
    block = program.block_of(stmt)
    if block is None:
        return
    index = next(i for i, s in enumerate(block) if s is stmt)
    if index + 1 >= len(block):
        return
    nxt = block[index + 1]
    simple = (ast.Assign, ast.AugAssign, ast.Expr, ast.AnnAssign)
    if not (isinstance(stmt, simple) and isinstance(nxt, simple)):
        return
    if not _own_lines(program, nxt):
        return
    a_start, a_end = _full_span(program, stmt)
    b_start, b_end = _full_span(program, nxt)
    if program.source[a_end:b_start].strip():
        return
    first = program.source[a_start:a_end]
    second = program.source[b_start:b_end]
    if not second.endswith("\n"):
        second += "\n"
        first = first.rstrip("\n")
    yield _edit(program, a_start, b_end, second + program.source[a_end:b_start] + first,
                "swap", 0.3, stmt.lineno)


def _return_pool(program: Program, scope: Scope) -> list[str]:
    values: list[str] = []
    for node in scope.returns:
        text = program.text(node)
        if text not in values and "\n" not in text:
            values.append(text)
    for literal in _LITERAL_RETURNS:
        if literal not in values:
            values.append(literal)
    return values


def _guards(program: Program, stmt: ast.stmt, scope: Scope) -> Iterator[Edit]:
    """Insert `if c: return r` (or continue/break in a loop) before stmt."""
    function = program.function_of(stmt)
    if function is None:
        return
    indent = program.indent_of(stmt)
    step = indent_step(program)
    at = program.line_start(stmt.lineno)
    exits: list[tuple[str, float]] = []
    returns_value = bool(scope.returns)
    for value in _return_pool(program, scope):
        if value == "None" and returns_value:
            exits.append(("return None", 0.2))
        elif value in _LITERAL_RETURNS:
            exits.append((f"return {value}" if returns_value else "return", 0.15))
        else:
            exits.append((f"return {value}", 0.3))
    if not returns_value:
        exits = [("return", 0.3)]
    if program.in_loop(stmt):
        exits += [("continue", 0.3), ("break", 0.3)]
    elif returns_value:
        # Nothing to do: the input comes back unchanged (`if not self.table: return text`).
        exits += [(f"return {name}", 0.25) for name in _passed_through(function, scope)]
    exits.sort(key=lambda e: -e[1])  # stable: the function's own returns stay first
    seen: set[str] = set()
    conditions = condition_pool(program, scope)[:16] + _empty_state(program, function)
    for cond in conditions:
        for exit_text, weight in exits[:10]:
            text = f"{indent}if {cond}:\n{indent}{step}{exit_text}\n"
            if text in seen:
                continue
            seen.add(text)
            yield _edit(program, at, at, text, "guard", weight, stmt.lineno)
    # A return the function forgot at its end.
    if isinstance(stmt, ast.Return) or function.body[-1] is not stmt:
        return
    start, end = _full_span(program, stmt)
    for name in sorted(scope.names):
        if name in {a.arg for a in function.args.args}:
            continue
        text = f"{indent}return {name}\n"
        yield _edit(program, end, end, text, "guard", 0.3, _after(stmt))


def _passed_through(function: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope) -> list[str]:
    """Return the parameters a degenerate case may return as they came (not numbers)."""
    args = function.args
    return [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]
            if a.arg not in ("self", "cls") and "num" not in scope.names.get(a.arg, set())
            and "bool" not in scope.names.get(a.arg, set())][:2]


_EMPTY = ("dict", "list", "set", "OrderedDict", "defaultdict", "deque")


def _empty_state(program: Program,
                 function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """Return `not self.x` for the collections a method's class starts empty.

    An object built from nothing (an empty mapping, no items) is the degenerate case
    a method forgets, even one that never reads the collection itself.
    """
    owner = program.parents.get(function)
    if not isinstance(owner, ast.ClassDef):
        return []
    found: list[str] = []
    for node in ast.walk(owner):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target, value = node.targets[0], node.value
        empty = isinstance(value, ast.List | ast.Dict | ast.Set) and not getattr(
            value, "elts", getattr(value, "keys", None)) or (
            isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
            and value.func.id in _EMPTY and not value.args
        )
        if empty and isinstance(target, ast.Attribute) and isinstance(
            target.value, ast.Name
        ) and target.value.id == "self":
            text = f"not self.{target.attr}"
            if text not in found:
                found.append(text)
    return found[:3]


def _copies(program: Program, stmt: ast.stmt, scope: Scope) -> Iterator[Edit]:
    """Insert a copy of another simple statement before or after stmt.

    Statements come from the same function first, then from the other methods of its
    class (`self.data.move_to_end(key)` forgotten in one of two methods), as long as
    every name they read is defined where they land.
    """
    function = program.function_of(stmt)
    if function is None:
        return
    indent = program.indent_of(stmt)
    start, end = _full_span(program, stmt)
    # After a loop is fine (flushing the last item is a classic omission); after a
    # return or inside the tail of an if/try is not.
    ends_flow = isinstance(stmt, ast.Return | ast.Break | ast.Continue | ast.Raise) or (
        isinstance(stmt, ast.If | ast.With | ast.Try)
    )
    seen = {program.text(stmt)}
    pool = [(other, 0.25) for other in scope.statements]
    pool += [(other, 0.2) for other in _sibling_statements(program, function)]
    texts = [(other, program.text(other), weight) for other, weight in pool
             if other is not stmt and other.lineno == other.end_lineno
             and _names_defined(other, scope, program)]
    texts += [(other, text, 0.1) for other, text in _module_calls(program, function)]
    inside = _body_statements(stmt) if isinstance(stmt, ast.For) else set()
    for other, text, weight in texts:
        if isinstance(stmt, ast.For) and other in inside:
            for variant, before in _fencepost(program, stmt, other):
                if variant not in seen:
                    seen.add(variant)
                    at = start if before else end
                    yield _edit(program, at, at, f"{indent}{variant}\n", "insert", 0.2,
                                stmt.lineno if before else _after(stmt))
        if text in seen:
            continue
        seen.add(text)
        yield _edit(program, start, start, f"{indent}{text}\n", "insert", weight, stmt.lineno)
        if not ends_flow:
            yield _edit(program, end, end, f"{indent}{text}\n", "insert", weight, _after(stmt))
        if isinstance(stmt, ast.For | ast.While) and weight >= 0.25:
            # After a loop, the copy often needs another variable: the loop appended
            # each `line`, the tail still to append is `text`.
            for variant in _adapted(program, other, scope):
                if variant not in seen:
                    seen.add(variant)
                    yield _edit(program, end, end, f"{indent}{variant}\n", "insert", 0.12,
                                _after(stmt))


def _body_statements(loop: ast.stmt) -> set[ast.stmt]:
    return {n for n in ast.walk(loop) if isinstance(n, ast.stmt) and n is not loop}


def _fencepost(program: Program, loop: ast.For, stmt: ast.stmt) -> Iterator[tuple[str, bool]]:
    """Yield stmt for the item a loop over `xs[:-1]` or `xs[1:]` leaves out, and where.

    `for n in numbers[:-1]: out.append(n)` then `out.append(numbers[-1])` after the
    loop; a loop over `xs[1:]` leaves `xs[0]`, handled before it.
    """
    it, target = loop.iter, loop.target
    if not (isinstance(it, ast.Subscript) and isinstance(it.slice, ast.Slice)
            and isinstance(target, ast.Name) and it.slice.step is None):
        return
    lower, upper = it.slice.lower, it.slice.upper
    owner = program.text(it.value)
    if lower is None and upper is not None and ast.unparse(upper) == "-1":
        item, before = f"{owner}[-1]", False
    elif upper is None and lower is not None and ast.unparse(lower) == "1":
        item, before = f"{owner}[0]", True
    else:
        return
    reads = [n for n in ast.walk(stmt) if isinstance(n, ast.Name) and n.id == target.id
             and isinstance(n.ctx, ast.Load)]
    if reads and stmt.lineno == stmt.end_lineno:
        yield program.rewritten(stmt, dict.fromkeys(reads, item)), before


def _module_calls(program: Program, function: ast.FunctionDef | ast.AsyncFunctionDef
                  ) -> list[tuple[ast.stmt, str]]:
    """Return the one-line calls other functions of the module make, on this one's locals.

    toolz's `interpose` lost `next(inposed)`, which drops the first separator;
    `second` says `next(seq)`. A call statement reading one local of its function is
    offered with that name replaced by each local of this one.
    """
    cache: dict[ast.AST, list[tuple[ast.stmt, str]]] = program.__dict__.setdefault(
        "_module_calls", {})
    if function not in cache:
        cache[function] = _adapted_calls(program, function)
    return cache[function]


def _adapted_calls(program: Program, function: ast.FunctionDef | ast.AsyncFunctionDef
                   ) -> list[tuple[ast.stmt, str]]:
    mine = _locals(function)
    found: list[tuple[ast.stmt, str]] = []
    for node in ast.walk(program.tree):
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                and node.lineno == node.end_lineno):
            continue
        other = program.function_of(node)
        if other is None or other is function:
            continue
        theirs = _locals(other)
        loads = [n for n in ast.walk(node) if isinstance(n, ast.Name)
                 and isinstance(n.ctx, ast.Load) and n.id in theirs]
        if len({n.id for n in loads}) != 1:
            continue
        for name in sorted(mine):
            found.append((node, program.rewritten(node, dict.fromkeys(loads, name))))
    return found[:_MODULE_CALLS]


_MODULE_CALLS = 40
"""At most this many adapted calls from other functions are tried around a statement."""


def _locals(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Return the parameters and the names a function assigns."""
    args = function.args
    names = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    names |= {n.id for n in ast.walk(function) if isinstance(n, ast.Name)
              and isinstance(n.ctx, ast.Store)}
    return names - {"self", "cls"}


def _adapted(program: Program, stmt: ast.stmt, scope: Scope) -> Iterator[str]:
    """Yield stmt's text with one variable it reads replaced by another of its kind."""
    for node in ast.walk(stmt):
        if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)):
            continue
        kinds = scope.names.get(node.id)
        if kinds is None:
            continue
        for other, other_kinds in scope.names.items():
            if other != node.id and compatible(kinds, other_kinds):
                yield program.rewritten(stmt, {node: other})


def _sibling_statements(
    program: Program, function: ast.FunctionDef | ast.AsyncFunctionDef
) -> list[ast.stmt]:
    """Return the simple statements of the other methods of function's class."""
    owner = program.parents.get(function)
    if not isinstance(owner, ast.ClassDef):
        return []
    found: list[ast.stmt] = []
    for method in owner.body:
        if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef) and method is not function:
            found += program.scope_of(method).statements
    return found


def _names_defined(stmt: ast.stmt, scope: Scope, program: Program) -> bool:
    """Return whether every name stmt reads exists in scope (or is a builtin or global)."""
    known = set(scope.names) | scope.functions | {"self", "cls"} | _module_names(program)
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id not in known and not hasattr(builtins, node.id):
                return False
    return True


def _module_names(program: Program) -> set[str]:
    names = set(program.imported_names)
    for node in program.tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        else:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    names.add(sub.id)
    return names


def _wrap_in_if(program: Program, stmt: ast.stmt, scope: Scope) -> Iterator[Edit]:
    """Put a simple statement under a condition the function already tests."""
    if not isinstance(stmt, ast.Assign | ast.AugAssign | ast.Expr | ast.Return):
        return
    if program.function_of(stmt) is None:
        return
    indent = program.indent_of(stmt)
    step = indent_step(program)
    start, end = _full_span(program, stmt)
    body = program.source[start:end]
    indented = "".join(step + line if line.strip() else line
                       for line in body.splitlines(keepends=True))
    if not indented.endswith("\n"):
        indented += "\n"
    for cond in condition_pool(program, scope)[:12]:
        text = f"{indent}if {cond}:\n{indented}"
        yield _edit(program, start, end, text, "condition", 0.25, stmt.lineno)


_FILLERS = {"set": "{0}.add({1})", "list": "{0}.append({1})", "dict": "{0}[{1}] = True"}
_EMPTY_KINDS = {"set": "set", "list": "list", "deque": "list", "dict": "dict",
                "OrderedDict": "dict"}
_FILLING = {"add", "append", "appendleft", "extend", "extendleft", "insert", "update",
            "setdefault", "__setitem__", "__ior__", "union_update", "push", "put"}


def _fills(program: Program, stmt: ast.stmt) -> Iterator[Edit]:
    """`if x in seen:` where nothing ever puts anything in seen: `seen.add(x)` once x is new.

    A collection made empty and only ever asked whether it holds something always
    says no: the line filling it is missing (a graph search that never marks a node
    visited). The fill goes where the check has failed: the else branch (the last of
    an elif chain first, then each elif's branch), after an `if x in seen: return`
    that leaves, or at the start of an `if x not in seen:` branch. It is the reverse of
    `_memberships` (conditions.py), which offers the check for a collection filled
    without one.
    """
    if not isinstance(stmt, ast.If):
        return
    test = stmt.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.In | ast.NotIn)
            and isinstance(test.comparators[0], ast.Name)):
        return
    item = program.text(test.left)
    if "\n" in item or any(isinstance(n, ast.Call | ast.Await | ast.NamedExpr)
                           for n in ast.walk(test.left)):
        return
    collection = test.comparators[0].id
    kind = _unfilled(program, stmt, collection)
    if kind is None:
        return
    fill = _FILLERS[kind].format(collection, item)
    for block, weight in _unseen_blocks(program, stmt, isinstance(test.ops[0], ast.In)):
        first = block[0]
        if _own_lines(program, first):
            at = program.line_start(first.lineno)
            yield _edit(program, at, at, f"{program.indent_of(first)}{fill}\n", "insert",
                        weight, first.lineno)
    if isinstance(test.ops[0], ast.In) and not stmt.orelse:
        leaves = isinstance(stmt.body[-1], ast.Return | ast.Continue | ast.Break | ast.Raise)
        end = _full_span(program, stmt)[1]
        yield _edit(program, end, end, f"{program.indent_of(stmt)}{fill}\n", "insert",
                    0.6 if leaves else 0.3, _after(stmt))


def _unseen_blocks(program: Program, stmt: ast.If,
                   found_is_true: bool) -> list[tuple[list[ast.stmt], float]]:
    """Return the blocks that run when a membership check finds nothing, likeliest first."""
    if not found_is_true:
        return [(stmt.body, 0.6)]
    blocks: list[tuple[list[ast.stmt], float]] = []
    node = stmt
    while node.orelse:
        nested = node.orelse[0]
        if len(node.orelse) == 1 and isinstance(nested, ast.If) and program.source[
                program.line_start(nested.lineno):].lstrip().startswith("elif"):
            node = nested
            blocks.append((node.body, 0.4))
            continue
        blocks.insert(0, (node.orelse, 0.6))
        break
    return blocks


def _unfilled(program: Program, stmt: ast.stmt, name: str) -> str | None:
    """Return the kind ("set", "list", "dict") of a collection nothing fills, or None.

    name must be made empty (`set()`, `[]`, `{}`, ...) by stmt's function or one around
    it, and never be filled, rebound or handed to a call anywhere in that function,
    nested functions included.
    """
    function = program.function_of(stmt)
    while function is not None:
        made = [n for n in ast.walk(function) if isinstance(n, ast.Assign)
                and program.function_of(n) is function and len(n.targets) == 1
                and isinstance(n.targets[0], ast.Name) and n.targets[0].id == name]
        if made:
            kind = _empty_kind(made[0].value)
            if len(made) > 1 or kind is None or _filled(function, name):
                return None
            return kind
        function = program.function_of(function)
    return None


def _empty_kind(value: ast.expr) -> str | None:
    """Return the kind of an empty collection's constructor (`set()`, `[]`, `{}`), or None."""
    if isinstance(value, ast.List) and not value.elts:
        return "list"
    if isinstance(value, ast.Dict) and not value.keys:
        return "dict"
    if isinstance(value, ast.Call) and not value.args and not value.keywords:
        func = value.func
        called = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else "")
        return _EMPTY_KINDS.get(called)
    return None


def _filled(function: ast.AST, name: str) -> bool:
    """Return whether code in function may put something in the collection name holds."""
    stores = 0
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and node.id == name:
            if not isinstance(node.ctx, ast.Load):
                stores += 1
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and (
                node.value.id == name) and node.attr in _FILLING:
            return True
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and (
                node.value.id == name) and not isinstance(node.ctx, ast.Load):
            return True
        if isinstance(node, ast.Call) and not _reads_only(node) and any(
                isinstance(a, ast.Name) and a.id == name
                for a in [*node.args, *(k.value for k in node.keywords)]):
            return True
        if isinstance(node, ast.Global | ast.Nonlocal) and name in node.names:
            return True
    return stores > 1


_READERS = {"len", "sorted", "list", "set", "tuple", "frozenset", "any", "all", "sum", "min",
            "max", "print", "iter", "bool", "enumerate", "reversed", "str", "repr", "dict",
            "isinstance"}


def _reads_only(call: ast.Call) -> bool:
    """Return whether a call is of a builtin that only reads its arguments (`len(x)`)."""
    return isinstance(call.func, ast.Name) and call.func.id in _READERS


def indent_step(program: Program) -> str:
    """Return one level of the module's indentation (four spaces if it has none)."""
    for node in ast.walk(program.tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.stmt) and isinstance(body, list) and body:
            outer = program.indent_of(node)
            inner = program.indent_of(body[0])
            if len(inner) > len(outer) and body[0].lineno != node.lineno:
                return inner[len(outer):]
    return "    "
