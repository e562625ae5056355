"""How fast the blast radius is on a large repository, cold and warm.

Measured in one process on a temporary clone of PATH:
- the graph pass: an ast.parse of every file (the first version's approach, the
  baseline) against healloop's scanner (regular expressions + parsing only import
  statements), both over every Python file;
- grimp (Rust, with its cache off) on the main package, in a child process because it
  is not a dependency of healloop, with how many of its import edges healloop finds;
- ``analyse()`` cold (no cache under .healloop) and warm (cache in place, the median
  of WARM_REPEATS queries) for targets spread over the fan-in range, knowledge graph
  off;
- with --arc, the arc-memory knowledge-graph build, reported beside the rest.

Usage: uv run python bench/impact/speed.py PATH [--package lib/sqlalchemy] [--arc]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from healloop.analysis.blast import analyse
from healloop.analysis.imports import build_graph, module_names, python_files
from healloop.analysis.scan import scan

WARM_REPEATS = 3
"""A warm query takes milliseconds: one sample on a shared machine is mostly noise."""

GRIMP = """
import json, sys, time
import grimp
start = time.perf_counter()
graph = grimp.build_graph(sys.argv[1], cache_dir=None)
seconds = time.perf_counter() - start
edges = [[m, i] for m in graph.modules for i in graph.find_modules_directly_imported_by(m)]
print(json.dumps({"seconds": seconds, "edges": edges}))
"""


def clone(source: Path, into: Path) -> Path:
    work = into / "work"
    subprocess.run(["git", "clone", "-q", str(source), str(work)], check=True)
    return work


def graph_pass(work: Path) -> tuple[float, float, int]:
    files = python_files(work)
    names = module_names(work, files)
    texts = {f: (work / f).read_bytes().decode("utf-8", "replace") for f in files}
    start = time.perf_counter()
    for text in texts.values():
        try:
            ast.parse(text)
        except SyntaxError:
            pass
    parse = time.perf_counter() - start
    start = time.perf_counter()
    for f, text in texts.items():
        scan(text, names[f], f.endswith("__init__.py"))
    return parse, time.perf_counter() - start, len(files)


def grimp_pass(work: Path, package: str) -> tuple[float, float] | None:
    folder = work / package
    name = folder.name
    proc = subprocess.run(
        ["uv", "run", "--no-project", "--with", "grimp", "python", "-c", GRIMP, name],
        cwd=work, env={**os.environ, "PYTHONPATH": str(folder.parent)},
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        print(f"grimp failed: {proc.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    graph = build_graph(work, cache=False)
    ours = {(graph.files[f].module, m) for f in graph.files
            for m in graph.imported_modules(f)}
    theirs = {tuple(e) for e in data["edges"]}
    found = len(theirs & ours) / len(theirs) if theirs else 1.0
    return data["seconds"], found


def targets(work: Path, package: str, count: int) -> list[str]:
    graph = build_graph(work, cache=False)
    fan_in = {f: len(graph.importers().get(graph.files[f].module, ()))
              for f in graph.files if f.startswith(package + "/")}
    ranked = sorted(fan_in, key=lambda f: (fan_in[f], f))
    picks = [ranked[round(q * (len(ranked) - 1) / (count - 1))] for q in range(count)]
    return list(dict.fromkeys(picks))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--package", default=None, help="main package folder, e.g. lib/x")
    parser.add_argument("--targets", type=int, default=8)
    parser.add_argument("--arc", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="healloop-speed-") as tmp:
        work = clone(args.repo.resolve(), Path(tmp))
        package = args.package or next(
            p.parent.relative_to(work).as_posix() for p in sorted(work.glob("*/*/__init__.py"))
            if "test" not in p.parent.name)
        parse, scanned, files = graph_pass(work)
        print(f"| {args.repo.name}: graph pass over {files} files | seconds |")
        print("|---|---:|")
        print(f"| ast.parse of every file (baseline) | {parse:.2f} |")
        print(f"| healloop scanner | {scanned:.2f} |")
        grimp = grimp_pass(work, package)
        if grimp:
            print(f"| grimp, {package} only, cache off | {grimp[0]:.2f} "
                  f"(healloop finds {grimp[1]:.1%} of its edges) |")
        print()
        print("| target | fan-in | dependents | cold s | warm, same target s | "
              "warm graph, new target s |")
        print("|---|---:|---:|---:|---:|---:|")
        colds, warms, news = [], [], []
        for target in targets(work, package, args.targets):
            shutil.rmtree(work / ".healloop", ignore_errors=True)
            start = time.perf_counter()
            radius = analyse(work, target, knowledge_graph=False)
            cold = time.perf_counter() - start
            repeats = []
            for _ in range(WARM_REPEATS):
                start = time.perf_counter()
                analyse(work, target, knowledge_graph=False)
                repeats.append(time.perf_counter() - start)
            warm = statistics.median(repeats)
            shutil.rmtree(work / ".healloop" / "cache" / "results")
            start = time.perf_counter()
            analyse(work, target, knowledge_graph=False)
            new = time.perf_counter() - start
            colds.append(cold)
            warms.append(warm)
            news.append(new)
            direct = sum(1 for d in radius.dependents if d.depth == 1)
            print(f"| {target} | {direct} | {len(radius.dependents)} | {cold:.2f} | "
                  f"{warm:.3f} | {new:.3f} |")
        if args.arc:
            from healloop.analysis.arc_adapter import ensure_graph

            start = time.perf_counter()
            status = ensure_graph(work, timeout=7200)
            print(f"\nknowledge graph (arc-memory) build: {time.perf_counter() - start:.0f} s"
                  f" ({status.state.nodes if status.state else 0} nodes) {status.note}")
        print(f"\nscanner {parse / scanned:.1f}x faster than ast.parse; analyse() median "
              f"cold {statistics.median(colds):.2f} s (max {max(colds):.2f}), warm "
              f"{statistics.median(warms):.3f} s (max {max(warms):.3f}), new target on a "
              f"warm graph {statistics.median(news):.3f} s (max {max(news):.3f}) "
              f"on {args.repo.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
