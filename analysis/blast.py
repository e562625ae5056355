"""The blast radius of a change to one file: the entry point of change-impact analysis.

It gathers what each analysis knows (the import graph and the symbols dependents use,
the tests that reach the target, git history, the files likely to change with it, a
risk score) into one ``BlastRadius``. Whatever cannot be analysed is said in its notes,
never silently left out: a report that looks complete but is not would make an unsafe
change look safe.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import threading
from pathlib import Path

from pydantic import ValidationError

from healloop.analysis import history as git_history
from healloop.analysis.api import class_members
from healloop.analysis.arc_adapter import read_state as arc_state
from healloop.analysis.imports import (
    ImportGraph,
    build_graph,
    save_graph,
    source_stamps,
)
from healloop.analysis.pytest_config import SuiteConfig, suite_config
from healloop.analysis.related import related_files, telling
from healloop.analysis.risk import change_risk, dependent_risk
from healloop.analysis.test_impact import map_path, select_tests
from healloop.errors import InputError
from healloop.state import BlastRadius, CoChange, Dependent, RelatedFile, SymbolUse

RESULT_VERSION = 16
"""Bump when the analysis changes, so cached results are recomputed."""


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
    depths = graph.dependents(target)
    depths_with_target = {**depths, target: 0}
    members = class_members(graph.text(target))
    out = []
    for rel, depth in depths.items():
        # Beyond depth 1 a module reaches no symbol of the target: one that did
        # (through a re-export) would be a direct user, at depth 1.
        uses = graph.uses(rel, module) if depth == 1 else []
        if uses and members:
            uses = sorted(uses + graph.member_uses(rel, members, uses),
                          key=lambda u: (u.line, u.symbol))
        imported = {graph.by_module[m] for m in graph.imported_modules(rel)}
        via = sorted(f for f in imported if depths_with_target.get(f) == depth - 1)
        if depth == 1:
            via = [target]
        out.append(
            Dependent(
                module=graph.files[rel].module,
                file=rel,
                depth=depth,
                symbols=sorted({u.symbol for u in uses}),
                uses=[SymbolUse(symbol=u.symbol, kind=u.kind, file=rel, line=u.line)
                      for u in uses],
                via=via,
            )
        )
    out.sort(key=lambda d: (d.depth, d.file))
    return out


def _history(repo: Path, rel: str, radius: BlastRadius
             ) -> tuple[git_history.History | None, str]:
    """Fill co-changes and decisions; return the history, or None (said in notes).

    Also return why the history cannot tell how often the target changes, or ''.
    """
    head, note = git_history.git_state(repo)
    if note:
        radius.notes.append(note)
    if head is None:
        return None, ""
    history = git_history.load_history(repo, head)
    blind = ("history is cut short by the shallow clone" if note else
             "the repository has a single commit" if len(history.commits) < 2 else "")
    if not history.changes(rel):
        window = len(history.commits)
        bulk = history.bulk_changes(rel)
        radius.notes.append(
            f"{rel}'s {bulk} commit(s) in the last {window} were all bulk changes "
            f"(over {git_history.LARGE_COMMIT} files each), left out of co-change: "
            "no co-changes" if bulk else
            f"{rel} has no commits in the last {window}: no co-changes")
    # History remembers files the tree no longer has; a change cannot break those.
    radius.co_changes = [c for c in history.co_changes(rel, top=30)
                         if (repo / c.file).is_file()][:10]
    tracked = git_history.git(repo, "ls-files", "--", rel).strip()
    if not tracked:
        radius.notes.append(f"{rel} is not tracked by git: no decision trail")
    else:
        trail = git_history.load_decisions(repo, head, rel)
        radius.decisions = trail.decisions
        if trail.uncommitted:
            radius.notes.append(f"{trail.uncommitted} line(s) of {rel} are not committed yet")
        if trail.skipping:
            radius.notes.append(f"decision trail looks through the commits {trail.skipping} "
                                "lists")
        if trail.skip_failed:
            radius.notes.append(f"decision trail cannot look through the commits listed in "
                                f"{trail.skip_failed}")
        if trail.cut_short:
            radius.notes.append(
                f"{trail.cut_short} line(s) of {rel} come from before the shallow clone's "
                "oldest commit: history is cut short there, so they have no decision "
                "(git fetch --unshallow gives their trail)")
    return history, blind


def _knowledge_graph(repo: Path, rel: str, radius: BlastRadius, build: bool) -> None:
    """Add what arc-memory's knowledge graph knows; say so when it cannot."""
    from healloop.analysis import arc_adapter

    status = arc_adapter.ensure_graph(repo, build=build)
    if not status.ready or status.state is None:
        radius.notes.append(status.note)
        return
    state = status.state
    built = (f", {'refreshed' if state.incremental else 'built'} in {state.seconds:.1f} s"
             if status.rebuilt else "")
    known = arc_adapter.entity_history(repo, rel)
    radius.notes.append(
        f"knowledge graph at {state.head[:10]} ({state.nodes} nodes{built}): "
        + (f"{known.commits} commit(s) modified {rel}, from {known.first} to {known.last}"
           if known.commits else f"no commit of {rel} in its window")
    )
    for decision in radius.decisions:
        decision.links = [f"{e.type}: {e.title}" for e in
                          arc_adapter.decision_trail(repo, decision.commit)
                          if e.id != f"commit:{decision.commit}"]
    ours = {c.file for c in radius.co_changes}
    together = arc_adapter.co_changes(repo, rel)
    extra = [CoChange(file=f, support=n, confidence=round(n / known.commits, 4))
             for f, n in together.items()
             if f not in ours and f.endswith(".py") and n >= 2 and known.commits
             and (repo / f).is_file()]
    extra.sort(key=lambda c: (-c.confidence, c.file))
    radius.co_changes.extend(extra[:5])


def analyse(repo: Path, target: str, *, history: bool = True,
            knowledge_graph: bool | None = None) -> BlastRadius:
    """Return what a change to target (a file of repo) can break.

    Args:
        repo: Root of the repository.
        target: Path of the target, relative to repo or absolute.
        history: Whether to mine git history (co-changes, decision trail, churn).
        knowledge_graph: Whether to use arc-memory's knowledge graph under
            ``<repo>/.healloop/arc``: True builds it when missing, None uses it when
            it was built before (refreshing it when HEAD moved), False never.

    Raises:
        InputError: target is not a Python file inside repo.

    """
    repo = repo.resolve()
    rel = relative_target(repo, target)
    stamps = source_stamps(repo)
    suite = suite_config(repo)
    key = _result_key(repo, rel, stamps, suite, history, knowledge_graph)
    cached = _cached_result(repo, rel, key)
    if cached is not None:
        return cached
    graph = build_graph(repo, stamps=stamps, suite=suite)
    if rel not in graph.files:
        raise InputError(f"{rel} is not a Python source healloop scans (hidden or vendored)")
    radius = BlastRadius(target=rel, module=graph.files[rel].module)
    radius.dependents = dependents_of(graph, rel)
    selection = select_tests(repo, graph, rel, {d.file: d.depth for d in radius.dependents})
    radius.tests, radius.test_functions = selection.files, selection.functions
    radius.test_source = selection.source
    radius.notes.extend(selection.notes)
    error = graph.syntax_error(rel)
    if error:
        radius.notes.append(f"{rel} does not parse ({error})")

    mined, blind = _history(repo, rel, radius) if history else (None, "")
    if not history:
        radius.notes.append("history not requested: no co-changes or decision trail")
    elif mined is not None and knowledge_graph is not False:
        _knowledge_graph(repo, rel, radius, build=knowledge_graph is True)
    radius.related = [
        RelatedFile(file=r.file, score=r.score,
                    reasons={k: round(v, 3) for k, v in telling(r.parts).items()})
        for r in related_files(graph, mined, rel)
    ]
    coupling = {r.file: r.reasons.get("confidence", 0.0) for r in radius.related}
    for dependent in radius.dependents:
        dependent.risk = dependent_risk(dependent, coupling.get(dependent.file, 0.0))
    tested = {s.split(".")[0] for d in radius.dependents if graph.suite.in_suite(d.file)
              for s in d.symbols} | selection.exercised
    # History that cannot tell churn says nothing of it: a guess of 0 would lower the risk.
    if mined is not None and blind:
        radius.notes.append(f"risk leaves out churn and hidden coupling: {blind}")
    radius.risk, radius.risk_parts = change_risk(
        radius.dependents, files_in_repo=len(graph.files), tested_symbols=tested,
        has_tests=bool(radius.tests),
        changes=mined.changes(rel) if mined is not None and not blind else None,
        related=radius.related,
    )
    save_graph(graph)
    _store_result(repo, rel, key, radius)
    return radius


def _result_key(repo: Path, rel: str, stamps: dict[str, list[int]], suite: SuiteConfig,
                history: bool, knowledge_graph: bool | None) -> str:
    """Return a key that changes whenever anything the analysis reads changes."""
    head, _ = git_history.git_state(repo) if history else (None, "")
    graph_state = arc_state(repo) if history and knowledge_graph is not False else None
    try:
        stat = map_path(repo, head).stat() if head else None
    except OSError:
        stat = None
    coverage = [stat.st_mtime_ns, stat.st_size] if stat else None
    # The commits blame looks through may be listed in a file not committed yet.
    skipped = git_history.ignored_revs_stamp(repo) if head else None
    # The pytest configuration decides which test files are the suite.
    material = json.dumps([RESULT_VERSION, rel, history, knowledge_graph, head, skipped,
                           coverage, graph_state.head if graph_state else None, stamps,
                           dataclasses.astuple(suite)],
                          sort_keys=True)
    return hashlib.sha1(material.encode()).hexdigest()


def _result_file(repo: Path, rel: str) -> Path:
    return repo / ".healloop" / "cache" / "results" / (
        hashlib.sha1(rel.encode()).hexdigest()[:16] + ".result")


def _cached_result(repo: Path, rel: str, key: str) -> BlastRadius | None:
    path = _result_file(repo, rel)
    if not path.exists():
        return None
    try:
        stored_key, _, radius = path.read_text(encoding="utf-8").partition("\n")
        # pydantic parses the JSON itself: a radius with thousands of uses is read
        # 1.5x faster than through json.loads and validation of the dicts.
        return BlastRadius.model_validate_json(radius) if stored_key == key else None
    except (OSError, UnicodeDecodeError, ValidationError):
        return None


def _store_result(repo: Path, rel: str, key: str, radius: BlastRadius) -> None:
    path = _result_file(repo, rel)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(f"{key}\n{radius.model_dump_json()}", encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # a read-only checkout: the next query recomputes
