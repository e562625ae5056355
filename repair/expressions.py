"""Expressions rewritten as text: spans, operator tokens and the parentheses they need.

`Edits` builds the edits every operator yields: it finds the span of a node or of an
operator token written between two nodes, and parenthesises a replacement only where
the place it goes binds tighter than the replacement does.
"""

from __future__ import annotations

import ast
import io
import tokenize

from healloop.repair.edits import Edit, EditKind
from healloop.repair.program import Program

BINOP_TEXT = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
              ast.Mod: "%", ast.Pow: "**", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
              ast.LShift: "<<", ast.RShift: ">>", ast.MatMult: "@"}

CMP_TEXT = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
            ast.NotEq: "!=", ast.In: "in", ast.NotIn: "not in", ast.Is: "is",
            ast.IsNot: "is not"}

# Binding strength of expressions, for deciding when a replacement needs parentheses.
PREC_BINOP = {ast.BitOr: 6, ast.BitXor: 7, ast.BitAnd: 8, ast.LShift: 9, ast.RShift: 9,
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
        return PREC_BINOP[type(node.op)]
    if isinstance(node, ast.Await):
        return 14
    if isinstance(node, ast.NamedExpr | ast.Starred | ast.Yield | ast.YieldFrom):
        return -1
    return 16


def _required(program: Program, node: ast.AST) -> int:
    """Return the least precedence an expression at node's place needs without parens."""
    parent = program.parents.get(node)
    if isinstance(parent, ast.BinOp):
        p = PREC_BINOP[type(parent.op)]
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
        index = find_token(gap, token)
        if index is None:
            return None
        return start + index, start + index + len(token)


def find_token(gap: str, token: str) -> int | None:
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


def precedence_of_text(text: str) -> int:
    """Return the precedence of an expression given as text."""
    try:
        return precedence(ast.parse(text, mode="eval").body)
    except SyntaxError:
        return 0

