"""The target as repair sees it: its statements, their spans, and what is in scope.

Edit operators need three things a bare syntax tree does not give: the exact text
span of every node (to edit text, not trees), the statements a line of coverage
belongs to, and for each function the ingredients a fix may reuse: names of a
compatible kind, conditions and return values already written there.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property

_SEQ_METHODS = {"append", "extend", "pop", "insert", "remove", "sort", "index", "count",
                "reverse", "copy", "clear", "add", "discard", "update", "get", "keys",
                "values", "items", "popleft", "appendleft", "join", "split", "strip"}
_NUM_FUNCS = {"range", "abs", "min", "max", "round", "int", "float", "divmod", "pow"}
_SEQ_FUNCS = {"len", "sorted", "reversed", "enumerate", "zip", "list", "set", "tuple",
              "sum", "any", "all", "iter", "next", "dict", "min", "max"}
Kind = str  # "seq" | "num" | "str" | "bool" | "obj"


@dataclass
class Scope:
    """What one function (or the module) defines and uses."""

    node: ast.AST
    names: dict[str, set[Kind]] = field(default_factory=dict)
    """Variables readable here (parameters, locals, module globals) and their kinds."""
    functions: set[str] = field(default_factory=set)
    """Functions and classes defined in the module."""
    attributes: dict[str, set[str]] = field(default_factory=dict)
    """Attribute names read or written, by the text of the object they belong to."""
    conditions: list[ast.expr] = field(default_factory=list)
    """Tests of if/while/assert/ternaries and their boolean parts."""
    returns: list[ast.expr] = field(default_factory=list)
    """Values the function returns."""
    statements: list[ast.stmt] = field(default_factory=list)
    """Simple statements of the function, candidates for copying."""
    loops: list[ast.stmt] = field(default_factory=list)
    written: dict[str, list[str]] = field(default_factory=dict)
    """Expressions the code writes on a name, by the name: `b` → [`b[1:]`, `b.head`]."""


class Program:
    """A parsed target with spans, statements and scopes."""

    def __init__(self, source: str) -> None:
        """Parse source; raises SyntaxError when it does not parse."""
        self.source = source
        self.tree = ast.parse(source)
        self._line_starts = [0]
        for line in source.splitlines(keepends=True):
            self._line_starts.append(self._line_starts[-1] + len(line))
        self._lines = source.splitlines(keepends=True)
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node

    # spans -----------------------------------------------------------------------
    def offset(self, line: int, col: int) -> int:
        """Return the character offset of a (1-based line, UTF-8 byte column) position."""
        text = self._lines[line - 1] if line - 1 < len(self._lines) else ""
        if not text.isascii():
            col = len(text.encode("utf-8")[:col].decode("utf-8", "replace"))
        return self._line_starts[line - 1] + col

    def span(self, node: ast.AST) -> tuple[int, int]:
        """Return the character span of a node with positions."""
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return start, end

    def text(self, node: ast.AST) -> str:
        """Return the source text of a node."""
        start, end = self.span(node)
        return self.source[start:end]

    def is_prose(self, node: ast.AST) -> bool:
        """Whether a string constant is prose, not a value.

        A docstring (or any string standing alone as a statement) or the literal text
        of an f-string: no edit treats it as a value.
        """
        return isinstance(self.parents.get(node), ast.Expr | ast.JoinedStr)

    def rewritten(self, node: ast.AST, replacements: Mapping[ast.AST, str]) -> str:
        """Return node's text with the text of each node inside it replaced."""
        start, end = self.span(node)
        out, last = [], start
        for inner, new in sorted(replacements.items(), key=lambda kv: self.span(kv[0])[0]):
            a, b = self.span(inner)
            out += [self.source[last:a], new]
            last = b
        return "".join(out) + self.source[last:end]

    def line_start(self, line: int) -> int:
        """Return the offset where a line begins."""
        return self._line_starts[line - 1]

    def indent_of(self, stmt: ast.stmt) -> str:
        """Return the indentation of the line a statement starts on."""
        text = self._lines[stmt.lineno - 1]
        return text[: len(text) - len(text.lstrip())]

    @cached_property
    def imported_names(self) -> set[str]:
        """The names the module's top-level imports bind (`os` of `import os.path`)."""
        names: set[str] = set()
        for stmt in self.tree.body:
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                names.update((a.asname or a.name).split(".")[0] for a in stmt.names)
        return names

    # statements ------------------------------------------------------------------
    @cached_property
    def statements(self) -> list[ast.stmt]:
        """Every statement except definitions, in source order."""
        found = [
            n for n in ast.walk(self.tree)
            if isinstance(n, ast.stmt)
            and not isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        ]
        return sorted(found, key=lambda n: (n.lineno, n.col_offset))

    def header_lines(self, stmt: ast.stmt) -> range:
        """Return the lines of a statement's own text (a compound one's header only)."""
        end = stmt.end_lineno or stmt.lineno
        body = getattr(stmt, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
            end = max(stmt.lineno, body[0].lineno - 1)
        return range(stmt.lineno, end + 1)

    def header_exprs(self, stmt: ast.stmt) -> list[ast.expr]:
        """Return the expressions that belong to a statement itself, not to its body."""
        if isinstance(stmt, ast.If | ast.While):
            return [stmt.test]
        if isinstance(stmt, ast.For | ast.AsyncFor):
            return [stmt.target, stmt.iter]
        if isinstance(stmt, ast.With | ast.AsyncWith):
            return [i.context_expr for i in stmt.items]
        if isinstance(stmt, ast.Try | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return []
        if isinstance(stmt, ast.Match):
            return [stmt.subject]
        return [n for n in ast.iter_child_nodes(stmt) if isinstance(n, ast.expr)]

    def function_of(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """Return the innermost function containing node."""
        current = self.parents.get(node)
        while current is not None:
            if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef):
                return current
            current = self.parents.get(current)
        return None

    def block_of(self, stmt: ast.stmt) -> list[ast.stmt] | None:
        """Return the statement list that holds stmt."""
        parent = self.parents.get(stmt)
        for name in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(parent, name, None)
            if isinstance(block, list) and any(s is stmt for s in block):
                return block
        return None

    def in_loop(self, stmt: ast.stmt) -> bool:
        """Return whether stmt sits inside a loop of its own function."""
        current = self.parents.get(stmt)
        while current is not None and not isinstance(
            current, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        ):
            if isinstance(current, ast.For | ast.While | ast.AsyncFor):
                return True
            current = self.parents.get(current)
        return False

    def nodes_of(self, stmt: ast.stmt) -> Iterator[ast.AST]:
        """Yield every node of a statement's own expressions."""
        for expr in self.header_exprs(stmt):
            yield from ast.walk(expr)

    # scopes ----------------------------------------------------------------------
    @cached_property
    def module_scope(self) -> Scope:
        """The module's own scope: globals, functions and classes."""
        scope = Scope(node=self.tree)
        for node in self.tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                scope.functions.add(node.name)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                continue
            else:
                for target in _assigned(node):
                    scope.names.setdefault(target, set())
        for sub in ast.walk(self.tree):
            if isinstance(sub, ast.ClassDef):
                scope.functions.add(sub.name)
        _collect(scope, self.tree, self)
        return scope

    def instance_attributes(self, function: ast.AST) -> set[str]:
        """Return the attributes read or set on `self` anywhere in the class of a method.

        The one a slip meant is often one the method itself never names
        (`self._minor + 1` in `bump_patch`, which should read `self._patch`).
        """
        owner = self.parents.get(function)
        if not isinstance(owner, ast.ClassDef):
            return set()
        cache: dict[int, set[str]] = self.__dict__.setdefault("_instance_attributes", {})
        if id(owner) not in cache:
            cache[id(owner)] = {
                n.attr for n in ast.walk(owner)
                if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                and n.value.id == "self"
            }
        return cache[id(owner)]

    def scope_of(self, node: ast.AST) -> Scope:
        """Return the scope of the function holding node (the module's if none)."""
        function = node if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else (
            self.function_of(node)
        )
        if function is None:
            return self.module_scope
        return self._function_scope(function)

    def _function_scope(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> Scope:
        cache: dict[int, Scope] = self.__dict__.setdefault("_scopes", {})
        if id(function) in cache:
            return cache[id(function)]
        module = self.module_scope
        scope = Scope(node=function, functions=set(module.functions))
        for name, kinds in module.names.items():
            scope.names[name] = set(kinds)
        args = function.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            if arg.arg not in ("self", "cls"):
                annotated = kind_of_annotation(arg.annotation)
                scope.names.setdefault(arg.arg, {annotated} if annotated else set())
        for extra in (args.vararg, args.kwarg):
            if extra is not None:
                scope.names.setdefault(extra.arg, {"seq"})
        # Enclosing functions' names are readable too (closures).
        outer = self.function_of(function)
        if outer is not None:
            for name, kinds in self._function_scope(outer).names.items():
                scope.names.setdefault(name, set(kinds))
        for node in walk_own(function):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                scope.names.setdefault(node.id, set())
        _collect(scope, function, self)
        cache[id(function)] = scope
        return scope


def _assigned(node: ast.stmt) -> list[str]:
    names = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            names.append(sub.id)
    return names


def walk_own(function: ast.AST) -> Iterator[ast.AST]:
    """Walk a function without entering nested functions or classes."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        stack.extend(ast.iter_child_nodes(node))


def _collect(scope: Scope, root: ast.AST, program: Program) -> None:
    """Fill kinds, attributes, conditions, returns and statements from root's own code."""
    nodes = list(walk_own(root)) if root is not program.tree else [
        n for stmt in program.tree.body
        if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        for n in ast.walk(stmt)
    ]
    names = scope.names

    def tag(expr: ast.AST, kind: Kind) -> None:
        if isinstance(expr, ast.Name) and expr.id in names:
            names[expr.id].add(kind)

    for node in nodes:
        if (isinstance(node, ast.Subscript | ast.Attribute) and isinstance(node.value, ast.Name)
                and isinstance(node.ctx, ast.Load)
                and not (isinstance(called := program.parents.get(node), ast.Call)
                         and called.func is node)):
            text = program.text(node)
            written = scope.written.setdefault(node.value.id, [])
            if text not in written and "\n" not in text:
                written.append(text)
        if isinstance(node, ast.Subscript):
            tag(node.value, "seq")
            if not isinstance(node.slice, ast.Slice):
                tag(node.slice, "num")
        elif isinstance(node, ast.Slice):
            for bound in (node.lower, node.upper):
                if bound is not None:
                    tag(bound, "num")
        elif isinstance(node, ast.BinOp):
            if not isinstance(node.op, ast.Add | ast.Mod):
                tag(node.left, "num")
                tag(node.right, "num")
            elif _is_int(node.left) or _is_int(node.right):
                tag(node.left, "num")
                tag(node.right, "num")
        elif isinstance(node, ast.AugAssign):
            tag(node.target, "num" if _is_int(node.value) else "obj")
        elif isinstance(node, ast.Compare):
            parts = [node.left, *node.comparators]
            if any(_is_int(p) or _is_len(p) for p in parts):
                for p in parts:
                    tag(p, "num")
            if any(isinstance(op, ast.In | ast.NotIn) for op in node.ops):
                tag(node.comparators[-1], "seq")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                if func.id in _NUM_FUNCS and func.id not in ("min", "max"):
                    for a in node.args:
                        tag(a, "num")
                if func.id in _SEQ_FUNCS and func.id not in ("sum",) and node.args:
                    if len(node.args) == 1:
                        tag(node.args[0], "seq")
            elif isinstance(func, ast.Attribute):
                if func.attr in _SEQ_METHODS:
                    tag(func.value, "seq")
        elif isinstance(node, ast.For | ast.comprehension):
            tag(node.iter, "seq")
        elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            kind = kind_of_value(node.value, names)
            if kind:
                for t in targets:
                    tag(t, kind)
            if any(isinstance(t, ast.Tuple | ast.List) for t in targets):
                tag(node.value, "seq")  # `first, *rest = coins`: coins is a sequence
        elif isinstance(node, ast.Starred) and isinstance(node.ctx, ast.Store):
            tag(node.value, "seq")  # `*rest` of an unpacking is a list
        if isinstance(node, ast.Attribute):
            owner = ast.unparse(node.value)
            scope.attributes.setdefault(owner, set()).add(node.attr)
        if isinstance(node, ast.If | ast.While | ast.IfExp | ast.Assert):
            _add_condition(scope, node.test)
        elif isinstance(node, ast.comprehension):
            for cond in node.ifs:
                _add_condition(scope, cond)
        elif isinstance(node, ast.Return) and node.value is not None:
            scope.returns.append(node.value)
        elif isinstance(node, ast.For | ast.While):
            scope.loops.append(node)
        if isinstance(node, ast.Assign | ast.AugAssign | ast.Expr | ast.AnnAssign) and not (
            isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        ):
            scope.statements.append(node)


def _add_condition(scope: Scope, test: ast.expr) -> None:
    scope.conditions.append(test)
    if isinstance(test, ast.BoolOp):
        for value in test.values:
            _add_condition(scope, value)
    elif isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        _add_condition(scope, test.operand)


def _is_int(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) is int


def _is_len(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        and node.func.id == "len"
    )


_ANNOTATED: dict[str, Kind] = {
    "str": "str", "int": "num", "float": "num", "complex": "num", "bool": "bool",
    **dict.fromkeys(("list", "List", "tuple", "Tuple", "set", "Set", "frozenset", "dict",
                     "Dict", "Sequence", "MutableSequence", "Iterable", "Collection",
                     "Mapping", "deque"), "seq"),
}


def kind_of_annotation(annotation: ast.expr | None) -> Kind | None:
    """Return the kind a parameter's annotation names (`xs: List[int]` is a sequence)."""
    if isinstance(annotation, ast.Subscript):
        annotation = annotation.value
    if isinstance(annotation, ast.Attribute):  # typing.List
        return _ANNOTATED.get(annotation.attr)
    if isinstance(annotation, ast.Name):
        return _ANNOTATED.get(annotation.id)
    return None


def kind_of_value(value: ast.expr, names: dict[str, set[Kind]]) -> Kind | None:
    """Return the kind of value an expression computes, when its form tells."""
    if _is_int(value) or _is_len(value):
        return "num"
    if isinstance(value, ast.Constant):
        if isinstance(value.value, bool):
            return "bool"
        if isinstance(value.value, str):
            return "str"
        if isinstance(value.value, float):
            return "num"
        return None
    if isinstance(value, ast.List | ast.ListComp | ast.Tuple | ast.Set | ast.SetComp |
                  ast.Dict | ast.DictComp):
        return "seq"
    if isinstance(value, ast.Compare | ast.BoolOp) or (
        isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.Not)
    ):
        return "bool"
    if isinstance(value, ast.BinOp) and not isinstance(value.op, ast.Add):
        return "num"
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        if value.func.id in ("list", "sorted", "set", "dict", "tuple", "reversed"):
            return "seq"
        if value.func.id in ("int", "abs", "round", "sum", "float"):
            return "num"
        if value.func.id == "str":
            return "str"
    if isinstance(value, ast.Name) and value.id in names and names[value.id]:
        return next(iter(names[value.id]))
    return None


def compatible(a: set[Kind], b: set[Kind]) -> bool:
    """Return whether two kind sets could describe the same kind of value."""
    if not a or not b:
        return True
    return bool(a & b)
