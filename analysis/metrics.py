"""Size and cyclomatic complexity of a Python file, from its syntax tree."""

from __future__ import annotations

import ast

from healloop.state import Metrics

_BRANCHES = (
    ast.If, ast.For, ast.AsyncFor, ast.While, ast.IfExp, ast.ExceptHandler,
    ast.With, ast.AsyncWith, ast.Assert, ast.comprehension, ast.match_case,
)


def complexity(func: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Return McCabe's cyclomatic complexity of one function (nested ones excluded)."""
    score = 1
    stack: list[ast.AST] = list(ast.iter_child_nodes(func))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, _BRANCHES) and not isinstance(node, ast.With | ast.AsyncWith):
            score += 1
        elif isinstance(node, ast.BoolOp):
            score += len(node.values) - 1
        stack.extend(ast.iter_child_nodes(node))
    return score


def measure(source: str) -> Metrics:
    """Return the metrics of source; a file that does not parse has only sizes."""
    lines = source.splitlines()
    code_lines = sum(1 for line in lines if line.strip() and not line.strip().startswith("#"))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return Metrics(lines=len(lines), code_lines=code_lines)
    scores = [
        complexity(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    return Metrics(
        lines=len(lines),
        code_lines=code_lines,
        functions=len(scores),
        max_complexity=max(scores, default=0),
        mean_complexity=round(sum(scores) / len(scores), 2) if scores else 0.0,
    )
