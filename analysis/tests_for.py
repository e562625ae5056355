"""Which test files reach a target, found statically from their imports."""

from __future__ import annotations

import ast
from pathlib import Path

_SKIP = {".git", ".healloop", ".venv", "venv", "node_modules", "__pycache__", ".tox", "build"}


def module_name(target: str) -> str:
    """Return the dotted module name of a repo-relative path."""
    parts = list(Path(target).with_suffix("").parts)
    if parts and parts[0] in ("src", "lib"):
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_test(path: Path) -> bool:
    return path.name.startswith("test_") or path.name.endswith("_test.py")


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_files(repo: Path) -> list[Path]:
    """Return every test file of the repository."""
    found = []
    for path in repo.rglob("*.py"):
        rel = path.relative_to(repo)
        if not _SKIP.intersection(rel.parts) and _is_test(path):
            found.append(path)
    return sorted(found)


def tests_for(repo: Path, target: str) -> list[str]:
    """Return the repo-relative test files that import the target's module."""
    module = module_name(target)
    if not module:
        return []
    found = []
    for path in test_files(repo):
        rel = path.relative_to(repo).as_posix()
        if rel == target:
            found.append(rel)
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        if any(name == module or name.startswith(module + ".") for name in _imports(tree)):
            found.append(rel)
    return found
