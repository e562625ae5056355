"""Edits for functions that enumerate recursively: their base case and what they keep.

A function that builds every combination from those of a smaller input (subsets,
subsequences, permutations) has two slips of its own: the base case returns no
combination, ``[]``, where it should return the one empty combination, ``[[]]``; and
the step returns only the new combinations, ``[[first] + s for s in rest]``, where
it should keep the smaller input's too, ``rest + [[first] + s for s in rest]``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from healloop.repair.edits import Edit
from healloop.repair.program import Program


def recursion_edits(program: Program, stmt: ast.stmt) -> Iterator[Edit]:
    """Yield the edits of a return statement of a recursive function that builds lists."""
    if not isinstance(stmt, ast.Return) or stmt.value is None:
        return
    function = program.function_of(stmt)
    if not isinstance(function, ast.FunctionDef) or not _recursive(function):
        return
    start, end = program.span(stmt.value)
    old = program.source[start:end]
    value = stmt.value
    if isinstance(value, ast.List) and not value.elts and _builds_lists(function):
        yield Edit("constant", start, end, "[[]]", stmt.lineno, old, 0.4)
    if isinstance(value, ast.ListComp) and len(value.generators) == 1:
        kept = value.generators[0].iter
        if isinstance(kept, ast.Name) and kept.id in _results(function):
            yield Edit("insert", start, end, f"{kept.id} + {old}", stmt.lineno, old, 0.35)
            yield Edit("insert", start, end, f"{old} + {kept.id}", stmt.lineno, old, 0.3)


def _calls_itself(function: ast.FunctionDef, node: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
               and n.func.id == function.name for n in ast.walk(node))


def _recursive(function: ast.FunctionDef) -> bool:
    return any(_calls_itself(function, stmt) for stmt in function.body)


def _results(function: ast.FunctionDef) -> set[str]:
    """Return the names the function assigns its own results to."""
    return {target.id for node in ast.walk(function) if isinstance(node, ast.Assign)
            and _calls_itself(function, node.value)
            for target in node.targets if isinstance(target, ast.Name)}


def _builds_lists(function: ast.FunctionDef) -> bool:
    """Whether the function makes lists of lists: `[first] + s for s in ...`."""
    for node in ast.walk(function):
        if isinstance(node, ast.ListComp | ast.GeneratorExp):
            element = node.elt
            if isinstance(element, ast.List) or (
                isinstance(element, ast.BinOp) and isinstance(element.op, ast.Add)
                and ast.List in (type(element.left), type(element.right))
            ):
                return True
    return False
