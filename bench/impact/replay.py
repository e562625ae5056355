"""Commit replay: does the blast radius predict the other files a real commit changed?

For the most recent N non-merge commits that touched 2 to 20 Python files, each changed
file that existed before the commit is given in turn, and every method ranks the other
files using only what existed before the commit (the parent's tree and the history
up to it). A query scores a top-3 hit when one of the other changed files is in its
top 3, and recall@10 is the share of the other changed files in its top 10. Files the
commit added are not expected (no method can know them); they still count towards the
2-20 size of the commit.

Methods, all in the same run:
- baseline: association rules from the WINDOW commits before, ranked by confidence
  (then support), the plain co-change approach; like ROSE, it leaves out commits of
  more than 30 files (sweeping edits); "baseline, every commit" keeps them;
- imports: the import graph alone (importers, then imports, of the target);
- healloop: ``healloop.analysis.related.related_files``, what ``analyse()`` reports;
- arc-memory (with --arc): ``Arc.analyze_component_impact`` on a graph built once from
  the history before the oldest replayed commit (never from the future).

Usage: uv run python bench/impact/replay.py PATH [--commits 300] [--window 3000]
PATH is a git repository (a bare git directory works); it is cloned into a temporary
folder, never modified.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from healloop.analysis.history import LARGE_COMMIT, Commit, History, follow_renames, read_log
from healloop.analysis.imports import build_graph
from healloop.analysis.related import features, related_files


@dataclass
class Query:
    commit: str
    parent: str
    index: int  # position of the commit in the full log (newest first)
    target: str
    expected: set[str]


@dataclass
class Scores:
    top3: list[float] = field(default_factory=list)
    recall10: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, ranking: list[str], expected: set[str]) -> None:
        self.top3.append(1.0 if expected & set(ranking[:3]) else 0.0)
        self.recall10.append(len(expected & set(ranking[:10])) / len(expected))

    def row(self) -> tuple[float, float]:
        return 100 * statistics.fmean(self.top3), 100 * statistics.fmean(self.recall10)


def sh(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                          check=True).stdout


def clone(source: Path, into: Path) -> Path:
    work = into / "work"
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(source), str(work)], check=True)
    return work


def changed_before_after(work: Path, commit: str) -> tuple[str, list[str], list[str]]:
    """Return (parent, python files touched, those that existed in the parent)."""
    out = sh(work, "diff-tree", "--no-commit-id", "-r", "--name-status", "-M", f"{commit}^",
             commit)
    touched, existing = [], []
    for line in out.splitlines():
        status, *paths = line.split("\t")
        py = [p for p in paths if p.endswith(".py")]
        if not py:
            continue
        touched.append(py[-1])
        if not status.startswith("A"):
            existing.append(py[0])
    parent = sh(work, "rev-parse", f"{commit}^").strip()
    return parent, touched, existing


def select_queries(work: Path, log: list[Commit], count: int) -> list[Query]:
    queries: list[Query] = []
    taken = 0
    for index, commit in enumerate(log):
        py = [f for f in commit.files if f.endswith(".py")]
        if not 2 <= len(py) <= 20:
            continue
        parent, touched, existing = changed_before_after(work, commit.sha)
        if not 2 <= len(touched) <= 20:
            continue
        taken += 1
        for target in existing:
            expected = set(existing) - {target}
            if expected:
                queries.append(Query(commit.sha, parent, index, target, expected))
        if taken == count:
            break
    return queries


def baseline_rank(window: list[Commit], target: str, *, large: int | None = None) -> list[str]:
    """Plain association rules: confidence of target -> f, then support.

    Commits of more than ``large`` files (of any kind) are left out, when given.
    """
    support: Counter[str] = Counter()
    mine = 0
    for commit in window:
        if large is not None and len(commit.files) > large:
            continue
        if target in commit.files:
            mine += 1
            support.update(f for f in commit.files if f != target and f.endswith(".py"))
    if not mine:
        return []
    return sorted(support, key=lambda f: (-support[f] / mine, -support[f], f))


def imports_rank(graph, target: str) -> list[str]:
    if target not in graph.files:
        return []
    deps = graph.dependents(target)
    importers = sorted(deps, key=lambda f: (deps[f], f))
    module = graph.files[target].module
    imported = sorted(graph.by_module[m] for m in graph.imported_modules(target)
                      if m != module)
    ranking = []
    for f in [*[f for f in importers if deps[f] == 1], *imported,
              *[f for f in importers if deps[f] > 1]]:
        if f not in ranking:
            ranking.append(f)
    return ranking


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--window", type=int, default=3000)
    parser.add_argument("--skip", type=int, default=0,
                        help="skip this many qualifying commits first (a tuning window)")
    parser.add_argument("--history", type=int, default=None,
                        help="commits of history healloop reads (default: the window)")
    parser.add_argument("--arc", action="store_true", help="also run arc-memory")
    parser.add_argument("--arc-refresh", type=int, default=50,
                        help="refresh arc-memory's graph every N replayed commits")
    parser.add_argument("--dump", type=Path, help="write per-query rankings as JSON")
    parser.add_argument("--features", type=Path,
                        help="write each query's candidate features as JSON (for tune.py)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="healloop-replay-") as tmp:
        work = clone(args.repo.resolve(), Path(tmp))
        log = read_log(work, "HEAD", limit=None)
        queries = select_queries(work, log, args.commits + args.skip)
        if args.skip:
            skip_commits = list(dict.fromkeys(q.commit for q in queries))[: args.skip]
            queries = [q for q in queries if q.commit not in set(skip_commits)]
        commits = list(dict.fromkeys(q.commit for q in queries))
        print(f"{args.repo.name}: {len(commits)} commits, {len(queries)} queries, "
              f"window {args.window}", file=sys.stderr)

        methods = {"baseline": Scores(), "baseline, every commit": Scores(),
                   "imports": Scores(), "healloop": Scores()}
        arc = None
        if args.arc:
            from arc_method import ArcMethod

            arc = ArcMethod(work, window=args.window, refresh_every=args.arc_refresh)
            methods["arc-memory"] = Scores()
        dump, feature_rows = [], []
        by_commit: dict[str, list[Query]] = {}
        for q in queries:
            by_commit.setdefault(q.commit, []).append(q)
        # Oldest first, so each checkout moves forward and the parse cache stays warm.
        for commit in sorted(by_commit, key=lambda c: -by_commit[c][0].index):
            group = by_commit[commit]
            parent, index = group[0].parent, group[0].index
            sh(work, "checkout", "-q", "--force", "--detach", parent)
            if arc is not None:
                arc.at_parent()
            window = log[index + 1: index + 1 + args.window]
            span = args.history or args.window
            history = History(follow_renames(log[index + 1: index + 1 + span]))
            t0 = time.perf_counter()
            graph = build_graph(work)
            graph_seconds = time.perf_counter() - t0
            for q in group:
                rankings = {}
                t0 = time.perf_counter()
                rankings["baseline"] = baseline_rank(window, q.target, large=LARGE_COMMIT)
                methods["baseline"].seconds += time.perf_counter() - t0
                t0 = time.perf_counter()
                rankings["baseline, every commit"] = baseline_rank(window, q.target)
                methods["baseline, every commit"].seconds += time.perf_counter() - t0
                t0 = time.perf_counter()
                rankings["imports"] = imports_rank(graph, q.target)
                methods["imports"].seconds += time.perf_counter() - t0
                t0 = time.perf_counter()
                rankings["healloop"] = [r.file for r in related_files(graph, history, q.target)]
                methods["healloop"].seconds += time.perf_counter() - t0 + graph_seconds / len(
                    group)
                if arc is not None:
                    t0 = time.perf_counter()
                    rankings["arc-memory"] = arc.rank(q.target)
                    methods["arc-memory"].seconds += time.perf_counter() - t0
                for name, ranking in rankings.items():
                    ranking = [f for f in ranking if f != q.target]
                    methods[name].add(ranking, q.expected)
                if args.features:
                    feature_rows.append({"target": q.target, "expected": sorted(q.expected),
                                         "candidates": features(graph, history, q.target)})
                if args.dump:
                    dump.append({"commit": q.commit, "target": q.target,
                                 "expected": sorted(q.expected),
                                 **{k: v[:20] for k, v in rankings.items()}})
        if args.dump:
            args.dump.write_text(json.dumps(dump, indent=1))
        if args.features:
            args.features.write_text(json.dumps(feature_rows))

    base3, base10 = methods["baseline"].row()
    print(f"| {args.repo.name} | queries | top-3 hit | recall@10 | s/query |")
    print("|---|---:|---:|---:|---:|")
    for name, scores in methods.items():
        top3, rec10 = scores.row()
        print(f"| {name} | {len(scores.top3)} | {top3:.1f}% | {rec10:.1f}% | "
              f"{scores.seconds / len(scores.top3):.3f} |")
    if arc is not None:
        print(arc.summary())
    top3, rec10 = methods["healloop"].row()
    print(f"healloop on {args.repo.name}: top-3 {top3:.1f}% ({top3 / base3:.2f}x baseline "
          f"{base3:.1f}%), recall@10 {rec10:.1f}% ({rec10 / base10:.2f}x baseline {base10:.1f}%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
