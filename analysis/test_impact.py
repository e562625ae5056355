"""Which tests reach a target, so evaluate can run those instead of the whole suite.

Static selection follows imports: a test module that imports the target, or imports a
module that does, can break when the target changes; within it, the test functions
that read a name resolving into that chain are the likeliest to. A ``conftest.py`` on
the chain affects every test beneath its folder through its fixtures.
"""

from __future__ import annotations

from healloop.analysis.imports import ImportGraph, is_test_file


def static_tests(
    graph: ImportGraph, target: str, dependents: dict[str, int]
) -> tuple[list[str], list[str]]:
    """Return (test files, test function ids) that reach target through imports.

    Args:
        graph: The repository's import graph.
        target: Repo-relative path of the target.
        dependents: Files importing the target, directly or not, with their depth.

    """
    chain = {target, *dependents}
    files = {rel for rel in chain if is_test_file(rel)}
    for rel in chain:
        if rel.rsplit("/", 1)[-1] == "conftest.py":
            folder = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
            files |= {f for f in graph.files if f.startswith(folder) and is_test_file(f)}
    modules = {graph.files[rel].module for rel in chain if not is_test_file(rel)}
    functions = []
    for rel in sorted(files):
        functions.extend(graph.test_functions(rel, modules))
    return sorted(files), functions
