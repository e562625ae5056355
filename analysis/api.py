"""API compatibility: does a new version still offer what dependents use?"""

from __future__ import annotations

import ast

from healloop.state import BlastRadius


def _top_level_names(source: str) -> set[str]:
    tree = ast.parse(source)
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def api_breaks(old_source: str, new_source: str, blast: BlastRadius) -> list[str]:
    """Return one line per symbol a dependent uses that the new version removed."""
    try:
        offered = _top_level_names(new_source)
    except SyntaxError:
        return []
    return [
        f"{symbol} removed but used by {dep.module}"
        for dep in blast.dependents
        for symbol in dep.symbols
        if symbol.split(".")[0] not in offered
    ]
