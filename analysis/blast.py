"""The blast radius of a change to one file: the entry point of change-impact analysis.

It gathers what each analysis knows (the import graph and the symbols dependents use,
the tests that reach the target, git history) into one ``BlastRadius``. Whatever
cannot be analysed is said in its notes, never silently left out: a report that looks
complete but is not would make an unsafe change look safe.
"""

from __future__ import annotations

from pathlib import Path

from healloop.analysis.imports import ImportGraph, build_graph
from healloop.analysis.test_impact import static_tests
from healloop.errors import InputError
from healloop.state import BlastRadius, Dependent, SymbolUse


def relative_target(repo: Path, target: str) -> str:
    """Return target as a POSIX path relative to repo, checking it is a Python file in it."""
    path = Path(target)
    full = path if path.is_absolute() else repo / path
    try:
        rel = full.resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:
        raise InputError(f"{target} is not inside the repository {repo}") from None
    if not full.is_file():
        raise InputError(f"{target} does not exist in {repo}")
    if not rel.endswith(".py"):
        raise InputError(f"{target} is not a Python file")
    return rel


def dependents_of(graph: ImportGraph, target: str) -> list[Dependent]:
    """Return the modules that import target, nearest first, with the symbols they use."""
    module = graph.files[target].module
    out = []
    for rel, depth in graph.dependents(target).items():
        uses = graph.uses(rel, module)
        out.append(
            Dependent(
                module=graph.files[rel].module,
                file=rel,
                depth=depth,
                symbols=sorted({u.symbol for u in uses}),
                uses=[SymbolUse(symbol=u.symbol, kind=u.kind, file=rel, line=u.line)
                      for u in uses],
            )
        )
    out.sort(key=lambda d: (d.depth, d.file))
    return out


def analyse(repo: Path, target: str, *, history: bool = True) -> BlastRadius:
    """Return what a change to target (a file of repo) can break.

    Args:
        repo: Root of the repository.
        target: Path of the target, relative to repo or absolute.
        history: Whether to mine git history (co-changes, decision trail).

    Raises:
        InputError: target is not a Python file inside repo.

    """
    repo = repo.resolve()
    rel = relative_target(repo, target)
    graph = build_graph(repo)
    notes: list[str] = []
    if rel not in graph.files:
        raise InputError(f"{rel} is not a Python source healloop scans (hidden or vendored)")
    summary = graph.files[rel]
    if summary.error:
        notes.append(f"{rel} does not parse ({summary.error}): symbols unknown")
    broken = sorted(f for f, s in graph.files.items() if s.error and f != rel)
    if broken:
        shown = ", ".join(broken[:5]) + (" ..." if len(broken) > 5 else "")
        notes.append(f"{len(broken)} file(s) do not parse and were skipped: {shown}")
    dependents = dependents_of(graph, rel)
    depths = {d.file: d.depth for d in dependents}
    tests, functions = static_tests(graph, rel, depths)
    if not tests:
        notes.append("no test imports the target, directly or through other modules")
    if not history:
        notes.append("history not requested: no co-changes or decision trail")
    return BlastRadius(
        target=rel,
        module=summary.module,
        dependents=dependents,
        tests=tests,
        test_functions=functions,
        notes=notes,
    )
