"""Small edits inside one statement's expressions, the ones real bugs are made of.

Each operator yields text edits for one statement, with a prior weight: how often an
edit of that kind is the fix for a real bug (off-by-one comparisons and constants
first, wrapping calls last). The weights follow what studies of one-line bugs in
Java and Python projects report (ManySStuBs4J, PySStuBs, QuixBugs): wrong operator,
wrong constant, wrong variable and a missing or extra +-1 dominate.
"""

from __future__ import annotations

import ast
import difflib
import io
import re
import tokenize
from collections.abc import Iterable, Iterator
from itertools import chain

from healloop.repair.edits import Edit, EditKind
from healloop.repair.program import Program, Scope, compatible, walk_own

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
_BINOP_TEXT = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
               ast.Mod: "%", ast.Pow: "**", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
               ast.LShift: "<<", ast.RShift: ">>", ast.MatMult: "@"}


def _any_arithmetic(table: dict[type[ast.operator], list[tuple[str, float]]]) -> None:
    """Let any arithmetic operator become any other (`n - i == 0` for `n % i == 0`).

    Those the table does not name come after the named ones, at a low prior.
    """
    arithmetic = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
    for op in arithmetic:
        named = {text for text, _ in table[op]} | {_BINOP_TEXT[op]}
        table[op] += [(_BINOP_TEXT[o], 0.1) for o in arithmetic if _BINOP_TEXT[o] not in named]


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
_CMP_TEXT = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
             ast.NotEq: "!=", ast.In: "in", ast.NotIn: "not in", ast.Is: "is",
             ast.IsNot: "is not"}
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
_UNWRAP = {"min", "max", "abs", "len", "list", "sorted", "int", "round", "reversed", "set",
           "tuple", "str", "float", "sum"}

# Binding strength of expressions, for deciding when a replacement needs parentheses.
_PREC_BINOP = {ast.BitOr: 6, ast.BitXor: 7, ast.BitAnd: 8, ast.LShift: 9, ast.RShift: 9,
               ast.Add: 10, ast.Sub: 10, ast.Mult: 11, ast.Div: 11, ast.FloorDiv: 11,
               ast.Mod: 11, ast.MatMult: 11, ast.Pow: 13}


def precedence(node: ast.AST) -> int:
    """Return how tightly an expression binds (higher binds tighter)."""
    if isinstance(node, ast.Lambda):
        return 0
    if isinstance(node, ast.IfExp):
        return 1
    if isinstance(node, ast.BoolOp):
        return 2 if isinstance(node.op, ast.Or) else 3
    if isinstance(node, ast.UnaryOp):
        return 4 if isinstance(node.op, ast.Not) else 12
    if isinstance(node, ast.Compare):
        return 5
    if isinstance(node, ast.BinOp):
        return _PREC_BINOP[type(node.op)]
    if isinstance(node, ast.Await):
        return 14
    if isinstance(node, ast.NamedExpr | ast.Starred | ast.Yield | ast.YieldFrom):
        return -1
    return 16


def _required(program: Program, node: ast.AST) -> int:
    """Return the least precedence an expression at node's place needs without parens."""
    parent = program.parents.get(node)
    if isinstance(parent, ast.BinOp):
        p = _PREC_BINOP[type(parent.op)]
        if isinstance(parent.op, ast.Pow):
            return p + 1 if node is parent.left else 12
        return p if node is parent.left else p + 1
    if isinstance(parent, ast.UnaryOp):
        return 4 if isinstance(parent.op, ast.Not) else 12
    if isinstance(parent, ast.BoolOp):
        return 3 if isinstance(parent.op, ast.Or) else 4
    if isinstance(parent, ast.Compare):
        return 6
    if isinstance(parent, ast.Attribute | ast.Subscript) and node is parent.value:
        return 15
    if isinstance(parent, ast.Call) and node is parent.func:
        return 15
    if isinstance(parent, ast.IfExp):
        return 2
    if isinstance(parent, ast.Await):
        return 15
    return 0


class Edits:
    """Builds edits on one program, taking care of spans and parentheses."""

    def __init__(self, program: Program) -> None:
        """Wrap a program."""
        self.p = program

    def replace(
        self, node: ast.AST, text: str, kind: EditKind, weight: float, line: int
    ) -> Edit | None:
        """Return an edit replacing node with the expression text, parenthesised if needed."""
        start, end = self.p.span(node)
        try:
            new = ast.parse(text.strip(), mode="eval").body
        except SyntaxError:
            return None
        src = self.p.source
        already = start > 0 and src[start - 1] == "(" and end < len(src) and src[end] == ")"
        operand = isinstance(self.p.parents.get(node), ast.BinOp | ast.UnaryOp | ast.BoolOp |
                             ast.Compare)
        if already and operand and precedence(new) >= 15:
            start, end = start - 1, end + 1  # `(a - b)` → `abs(a - b)`, not `(abs(a - b))`
        elif precedence(new) < _required(self.p, node) and not already:
            text = f"({text})"
        return Edit(kind, start, end, text, line, src[start:end], weight)

    def span_edit(
        self, start: int, end: int, text: str, kind: EditKind, weight: float, line: int
    ) -> Edit:
        """Return an edit replacing an arbitrary span."""
        return Edit(kind, start, end, text, line, self.p.source[start:end], weight)

    def between(self, left: ast.AST, right: ast.AST, token: str) -> tuple[int, int] | None:
        """Return the span of an operator token written between two nodes."""
        start = self.p.span(left)[1]
        end = self.p.span(right)[0]
        gap = self.p.source[start:end]
        index = _find_token(gap, token)
        if index is None:
            return None
        return start + index, start + index + len(token)


def _find_token(gap: str, token: str) -> int | None:
    """Return the offset of the first token equal to token in gap, which may hold brackets."""
    starts = [0]
    for text_line in gap.splitlines(keepends=True):
        starts.append(starts[-1] + len(text_line))
    try:
        for tok in tokenize.generate_tokens(io.StringIO(gap).readline):
            if tok.string == token:
                return starts[tok.start[0] - 1] + tok.start[1]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return None


def expression_edits(program: Program, stmt: ast.stmt, scope: Scope) -> Iterator[Edit]:
    """Yield every expression-level edit of one statement."""
    make = Edits(program)
    line = stmt.lineno
    found: list[Iterable[Edit | None]] = []
    for node in program.nodes_of(stmt):
        found += [
            _operators(make, node, line),
            _negations(make, program, stmt, node, line),
            _constants(make, program, node, line),
            _lengths(make, node, scope, line),
            _off_by_one(make, program, node, scope, line),
            _identifiers(make, program, node, scope, line),
            _swaps(make, program, node, line),
            _slices(make, node, line),
            _wraps(make, program, node, scope, line),
            _reshapes(make, program, node, scope, line),
            _fstrings(make, program, node, scope, line),
        ]
    if isinstance(stmt, ast.AugAssign):
        found.append(_augassign(make, stmt, line))
    if isinstance(stmt, ast.Assign):
        found.append(_accumulations(make, program, stmt, line))
    found.append(_conditions(make, program, stmt, scope, line))
    found.append(_converted(make, program, stmt, line))
    for edit in chain.from_iterable(found):
        if edit is not None:
            yield edit


def _operators(make: Edits, node: ast.AST, line: int) -> Iterator[Edit | None]:
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        span = make.between(node.left, node.right, _BINOP_TEXT[type(node.op)])
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
        b = _find_token(rest, second)
        return None if b is None else (a[0], a[1] + b + len(second))
    return make.between(left, right, _CMP_TEXT[type(op)])


def _augassign(make: Edits, stmt: ast.AugAssign, line: int) -> Iterator[Edit | None]:
    token = _BINOP_TEXT.get(type(stmt.op))
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


def _is_test(program: Program, node: ast.AST) -> bool:
    parent = program.parents.get(node)
    if isinstance(parent, ast.If | ast.While | ast.IfExp | ast.Assert) and node is parent.test:
        return True
    if isinstance(parent, ast.comprehension) and node in parent.ifs:
        return True
    if isinstance(parent, ast.BoolOp):
        return True
    return False


def _negations(
    make: Edits, program: Program, stmt: ast.stmt, node: ast.AST, line: int
) -> Iterator[Edit | None]:
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


def _int_value(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant) and type(node.operand.value) is int
    ):
        return -node.operand.value
    return None


def _constants(make: Edits, program: Program, node: ast.AST, line: int) -> Iterator[Edit | None]:
    parent = program.parents.get(node)
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        yield make.replace(node, str(not node.value), "constant", 0.8, line)
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, float):
        yield from _floats(make, node, node.value, line)
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield from _strings(make, program, node, node.value, line)
        return
    value = _int_value(node)
    if value is None:
        return
    if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.USub):
        return  # handled at the minus sign, as one constant
    arithmetic = parent.op if isinstance(parent, ast.BinOp | ast.AugAssign) else None
    in_sum = isinstance(arithmetic, ast.Add | ast.Sub)
    in_product = isinstance(arithmetic, ast.Mult | ast.Div | ast.FloorDiv)
    for new in (value - 1, value + 1):
        if (in_sum and new == 0) or (in_product and new == 1):
            # `x + 0` is `x` (written plainly by the off-by-one operator), and
            # `n -= 0` is a deletion in disguise (the delete operator's job).
            continue
        yield make.replace(node, str(new), "constant", 0.85, line)
    if value and not arithmetic:
        # The sign: a comparison function's `return -1` for `return 1`.
        yield make.replace(node, str(-value), "constant", 0.8 if value in (-1, 1) else 0.4, line)
    if value not in (-1, 0, 1, 2) and not in_sum and not in_product:
        yield make.replace(node, "0", "constant", 0.3, line)
    if value in (0, 1) and not arithmetic:
        # a start or a seed one step further: `i = 0` where factors start at `i = 2`
        yield make.replace(node, str(value + 2), "constant", 0.3, line)


def _lengths(make: Edits, node: ast.AST, scope: Scope, line: int) -> Iterator[Edit | None]:
    """`i % 24` where the alphabet's length was meant, `total / mean` for `/ len(xs)`.

    A divisor or a modulus, a number or a name that is not a sequence itself, may be
    the length of a sequence of the function.
    """
    parent = make.p.parents.get(node)
    if not (isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mod | ast.Div | (
        ast.FloorDiv)) and node is parent.right):
        return
    value = _int_value(node)
    if not ((value is not None and value >= 3) or (
        isinstance(node, ast.Name) and not scope.names.get(node.id, set()) & {"seq", "str"}
    )):
        return
    sized = [name for name, kinds in scope.names.items() if kinds & {"seq", "str"}]
    kind: EditKind = "constant" if value is not None else "identifier"
    for name in sized[:3]:
        yield make.replace(node, f"len({name})", kind, 0.25, line)


def _floats(make: Edits, node: ast.Constant, value: float, line: int) -> Iterator[Edit | None]:
    """Yield a float written wrong: a default meant none (0.0), a unit, a decimal slip."""
    if value != value or value in (float("inf"), float("-inf")):
        return
    others = [0.0, 1.0] if value not in (0.0, 1.0) else [1.0 - value]
    others += [value * 10, value / 10] if value not in (0.0,) else []
    for new in others:
        yield make.replace(node, repr(round(new, 12)), "constant", 0.5, line)


def _strings(make: Edits, program: Program, node: ast.Constant, value: str,
             line: int) -> Iterator[Edit | None]:
    """Yield a string written wrong: the closest other string the module writes (a key).

    Docstrings and f-string parts are text, not values, and are left alone.
    """
    parent = program.parents.get(node)
    if isinstance(parent, ast.Expr | ast.JoinedStr) or len(value) > 40:
        return
    pool = [s for s in _string_pool(program) if s != value]
    if len(value) == 1:
        # A separator or a marker: no other one-character string is "close" to it, but
        # a longer one may begin with it (`"d"` where the module's `"db"` was meant).
        close = [s for s in pool if len(s) == 1 and not s.isalnum()][:6]
        close += [s for s in pool if len(s) > 1 and s.startswith(value)][:2]
    else:
        close = difflib.get_close_matches(value, pool, n=2, cutoff=0.6)
    if len(value) == 1 and not value.isalnum():
        close.append("")  # `' '.join(parts)` where `''.join(parts)` was meant
    elif not value:
        close.append(" ")
    elif len(value) <= 4 and value[::-1] != value:
        close.append(value[::-1])  # `' I'` where `'I '` was meant
    if value.isalpha() and value.islower() and len(set(value)) > 1:
        close.append(value + value.upper())  # the vowels in both cases
    quote = program.text(node)[:1]
    for other in dict.fromkeys(close):
        yield make.replace(node, _quoted(other, quote), "constant", 0.4, line)


def _quoted(value: str, quote: str) -> str:
    """Return value as a literal in the quotes its code uses ('' when it cannot)."""
    text = repr(value)
    if quote == '"' and text[0] == "'" and '"' not in value:
        text = f'"{text[1:-1]}"'
    return text


def _string_pool(program: Program) -> list[str]:
    """Return the short strings the module writes as values, once each."""
    cached = getattr(program, "_string_pool", None)
    if cached is None:
        cached = sorted({n.value for n in ast.walk(program.tree)
                         if isinstance(n, ast.Constant) and isinstance(n.value, str)
                         and 0 < len(n.value) <= 40
                         and not isinstance(program.parents.get(n), ast.Expr | ast.JoinedStr)})
        program._string_pool = cached  # type: ignore[attr-defined]  # noqa: SLF001
    return cached


def _off_by_one(
    make: Edits, program: Program, node: ast.AST, scope: Scope, line: int
) -> Iterator[Edit | None]:
    parent = program.parents.get(node)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        if _int_value(node.right) is not None:
            yield make.replace(node, program.text(node.left), "off_by_one", 0.75, line)
        elif _int_value(node.left) is not None:
            yield make.replace(node, program.text(node.right), "off_by_one", 0.6, line)
        else:
            weight = 0.35
            yield make.replace(node, program.text(node.left), "off_by_one", weight, line)
            if isinstance(node.op, ast.Add):
                yield make.replace(node, program.text(node.right), "off_by_one", weight, line)
        return
    if not isinstance(node, ast.expr) or _int_value(node) is not None:
        return
    if isinstance(node, ast.Slice | ast.Tuple | ast.Starred):
        return
    weight = 0.0
    grand = program.parents.get(parent) if parent is not None else None
    if isinstance(parent, ast.Subscript) and node is parent.slice:
        weight = 0.75
    elif isinstance(parent, ast.Tuple) and isinstance(grand, ast.Subscript) and (
        parent is grand.slice
    ):
        weight = 0.7  # one index of `grid[i, j]`
    elif isinstance(parent, ast.Slice):
        weight = 0.7
    elif isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and (
        parent.func.id == "range" and node in parent.args
    ):
        weight = 0.7
    elif isinstance(parent, ast.Compare) and _numeric(node, scope):
        weight = 0.45
    elif isinstance(parent, ast.Return | ast.Assign) and _numeric(node, scope) and isinstance(
        node, ast.Name | ast.Call
    ):
        weight = 0.4
    elif isinstance(parent, ast.Call) and _numeric(node, scope) and isinstance(
        node, ast.Name | ast.Call
    ):
        weight = 0.3
    elif isinstance(parent, ast.BinOp) and _is_len_call(node):
        weight = 0.35  # `len(xs) * [0]` one too long
    elif _repeat_count(parent, node):
        weight = 0.35  # `(x,) * levels` one too many
    if weight and not isinstance(node, ast.BinOp):
        text = program.text(node)
        if precedence(node) <= 10:
            text = f"({text})"
        yield make.replace(node, f"{text} + 1", "off_by_one", weight, line)
        yield make.replace(node, f"{text} - 1", "off_by_one", weight, line)


def _repeat_count(parent: ast.AST | None, node: ast.AST) -> bool:
    """Whether node is the count of a repeated sequence: `n` in `(x,) * n` or `[0] * n`."""
    if not (isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mult)
            and isinstance(node, ast.Name)):
        return False
    other = parent.left if node is parent.right else parent.right
    return isinstance(other, ast.Tuple | ast.List) or (
        isinstance(other, ast.Constant) and isinstance(other.value, str | bytes))


def _is_len_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
        node.func.id == "len"
    )


def _numeric(node: ast.AST, scope: Scope) -> bool:
    if isinstance(node, ast.Name):
        return "num" in scope.names.get(node.id, set())
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
        node.func.id in ("len", "abs", "int", "sum", "round")
    )


def _identifiers(
    make: Edits, program: Program, node: ast.AST, scope: Scope, line: int
) -> Iterator[Edit | None]:
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
        op = _BINOP_TEXT[type(node.op)]
        p = _PREC_BINOP[type(node.op)]
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


def _wraps(
    make: Edits, program: Program, node: ast.AST, scope: Scope, line: int
) -> Iterator[Edit | None]:
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
    numeric = "num" in kinds or _numeric(node, scope) or isinstance(node, ast.BinOp)
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
        yield make.replace(node, f"list({text})", "wrap", weight, line)
        yield make.replace(node, f"set({text})", "wrap", weight - 0.05, line)
    if "str" in kinds:
        yield make.replace(node, f"{text}.lower()", "wrap", 0.25, line)


def _both_sides(make: Edits, node: ast.Compare, scope: Scope, line: int) -> Iterator[Edit]:
    """Yield `a == b` compared through one view of both: `set(a) == set(b)`."""
    if len(node.ops) != 1 or not isinstance(node.ops[0], ast.Eq | ast.NotEq):
        return
    left, right = node.left, node.comparators[0]
    if not isinstance(left, ast.Name) or not isinstance(right, ast.Name):
        return
    op = _CMP_TEXT[type(node.ops[0])]
    kinds = scope.names.get(left.id, set()) | scope.names.get(right.id, set())
    views = ["set({})", "sorted({})", "len({})"]
    if "str" in kinds:
        views.append("{}.lower()")
    for view in views:
        yield make.replace(node, f"{view.format(left.id)} {op} {view.format(right.id)}",
                           "wrap", 0.25, line)


def _reshapes(
    make: Edits, program: Program, node: ast.AST, scope: Scope, line: int
) -> Iterator[Edit | None]:
    """Yield the call or literal shaped a little differently from the one written.

    - `sorted(xs)` where `sorted(xs, reverse=True)` was meant (`.sort()` too);
    - `s.replace(a, b).replace(c, d)`, one call of a chain too many: the first alone;
    - `(1, 2, 3, 5)` holding one constant too many;
    - `for x in xs` where the loop had to stop at a count: `xs[:k]`.
    """
    if isinstance(node, ast.Call):
        func = node.func
        named = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else "")
        if named in ("sorted", "sort") and not any(k.arg == "reverse" for k in node.keywords):
            text = program.text(node)
            yield make.replace(node, text[:-1] + (", " if node.args or node.keywords else "")
                               + "reverse=True)", "wrap", 0.3, line)
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


def _is_parameter(scope: Scope, name: str) -> bool:
    function = scope.node
    return isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) and name in {
        a.arg for a in [*function.args.posonlyargs, *function.args.args]}


_CONVERTERS = ("tuple", "list", "dict", "set", "frozenset", "str", "int", "float", "bool")


def _converted(make: Edits, program: Program, stmt: ast.stmt, line: int) -> Iterator[Edit | None]:
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


_PLACEHOLDER = re.compile(r"(?<!\{)\{(?!\{)([^{}]*)\}")


def _fstrings(
    make: Edits, program: Program, node: ast.AST, scope: Scope, line: int
) -> Iterator[Edit | None]:
    """Make a string whose braces name variables in scope an f-string: the forgotten `f`."""
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return
    parent = program.parents.get(node)
    if isinstance(parent, ast.JoinedStr | ast.Expr) or (
        isinstance(parent, ast.Attribute) and parent.attr in ("format", "format_map")
    ) or (isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mod)):
        return
    fields = _PLACEHOLDER.findall(node.value)
    if not fields:
        return
    known = set(scope.names) | scope.functions | {"self", "cls"} | _imported(program)
    for field in fields:
        head = re.match(r"\s*([A-Za-z_]\w*)", field)
        if head is None or head.group(1) not in known:
            return  # `{0}`, `{}` or a name nothing binds: a template for .format()
    text = program.text(node)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return
    starts = [0]
    for text_line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(text_line))
    out, last = [], 0
    for tok in tokens:
        if tok.type != tokenize.STRING:
            continue
        at = starts[tok.start[0] - 1] + tok.start[1]
        prefix = re.match(r"[A-Za-z]*", tok.string).group(0).lower()  # type: ignore[union-attr]
        if "b" in prefix or "f" in prefix:
            return
        out += [text[last:at], "f"]
        last = at
    out.append(text[last:])
    start, end = program.span(node)
    yield make.span_edit(start, end, "".join(out), "constant", 0.6, line)


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
        names |= _imported(program)
        cached = {n for n in names if n.endswith(_EXCEPTION_SUFFIXES)}
        program.__dict__["_exceptions"] = cached
    return cached


def _imported(program: Program) -> set[str]:
    names: set[str] = set()
    for stmt in program.tree.body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in stmt.names)
    return names


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


def _conditions(
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


def precedence_of_text(text: str) -> int:
    """Return the precedence of an expression given as text."""
    try:
        return precedence(ast.parse(text, mode="eval").body)
    except SyntaxError:
        return 0


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
