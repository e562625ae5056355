"""Which test files reach a target: the test selection review and evaluate run.

The same selection as the blast radius (imports, transitively, conftest chains, and
the coverage map when one was collected for HEAD), so the tests that measure a
candidate are the tests that can break when the target changes.
"""

from __future__ import annotations

from pathlib import Path

from healloop.analysis.imports import build_graph
from healloop.analysis.test_impact import select_tests


def tests_for(repo: Path, target: str) -> list[str]:
    """Return the repo-relative test files that reach the target."""
    graph = build_graph(repo)
    if target not in graph.files:
        return []
    dependents = graph.dependents(target)
    return select_tests(repo, graph, target, dependents).files
