"""A wrong value: a constant, a string, a bound one off, a length or a forgotten `f`.

Integers one up or down (and their sign), floats written wrong, the closest string
the module writes, an index, bound or count one off, a divisor that should be a
sequence's length, and a string whose braces name variables that should be an
f-string.
"""

from __future__ import annotations

import ast
import difflib
import io
import re
import tokenize
from collections.abc import Iterator

from healloop.repair.edits import Edit, EditKind
from healloop.repair.expressions import Edits, precedence
from healloop.repair.program import Program, Scope


def _int_value(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant) and type(node.operand.value) is int
    ):
        return -node.operand.value
    return None


def constants(make: Edits, program: Program, node: ast.AST, line: int) -> Iterator[Edit | None]:
    """Yield a constant written wrong: a flipped bool, an integer one off or of the other sign."""
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


def lengths(make: Edits, node: ast.AST, scope: Scope, line: int) -> Iterator[Edit | None]:
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
    if program.is_prose(node) or len(value) > 40:
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
                         and not program.is_prose(n)})
        program._string_pool = cached  # type: ignore[attr-defined]  # noqa: SLF001
    return cached


def off_by_one(
    make: Edits, program: Program, node: ast.AST, scope: Scope, line: int
) -> Iterator[Edit | None]:
    """Yield `x + 1` / `x - 1` for an index, bound or count, and `x` for `x + k`."""
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
    elif isinstance(parent, ast.Compare) and is_numeric(node, scope):
        weight = 0.45
    elif isinstance(parent, ast.Return | ast.Assign) and is_numeric(node, scope) and isinstance(
        node, ast.Name | ast.Call
    ):
        weight = 0.4
    elif isinstance(parent, ast.Call) and is_numeric(node, scope) and isinstance(
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


def is_numeric(node: ast.AST, scope: Scope) -> bool:
    """Whether node is a number: a name of numeric kind, or `len()`, `abs()`, `sum()` ...."""
    if isinstance(node, ast.Name):
        return "num" in scope.names.get(node.id, set())
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
        node.func.id in ("len", "abs", "int", "sum", "round")
    )


_PLACEHOLDER = re.compile(r"(?<!\{)\{(?!\{)([^{}]*)\}")


def fstrings(
    make: Edits, program: Program, node: ast.AST, scope: Scope, line: int
) -> Iterator[Edit | None]:
    """Make a string whose braces name variables in scope an f-string: the forgotten `f`."""
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return
    parent = program.parents.get(node)
    if program.is_prose(node) or (
        isinstance(parent, ast.Attribute) and parent.attr in ("format", "format_map")
    ) or (isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mod)):
        return
    fields = _PLACEHOLDER.findall(node.value)
    if not fields:
        return
    known = set(scope.names) | scope.functions | {"self", "cls"} | program.imported_names
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

