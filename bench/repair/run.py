"""Benchmark of offline test-driven repair on a corpus of small buggy programs.

Each corpus entry (corpus/<name>/) holds a module with one bug, test_visible.py (the
tests repair may use), test_heldout.py (used only to judge the result), fixed.py (a
reference fix, used only to check the corpus and for the *same* column) and meta.json
(the bug's kind, and optionally "support": other files of the entry the module or its
tests import, copied beside them).

For each entry the harness copies the module and its visible tests into a fresh git
repository, heals it through the real CLI:

    healloop run --repo <copy> --file <module> --engine offline --yes --output <out>

(plus --report, to read the candidates tried), and runs the visible tests (plausible)
and the held-out tests (correct) against the result; *same* means the result's code is
the reference fix's (same syntax trees, docstrings and other string statements aside).
It prints one row per bug, the totals, the median time, and on the last line the figure.

    uv run python bench/repair/run.py               # every bug, through the CLI
    uv run python bench/repair/run.py --direct      # call the engine in-process
    uv run python bench/repair/run.py --only gcd --only lcs
    uv run python bench/repair/run.py --check       # the corpus itself is sound
    uv run python bench/repair/run.py --corpus DIR  # another corpus, same layout
    uv run python bench/repair/run.py --test-timeout 5 --keep OUT  # CLI flag; reports kept
    uv run python bench/repair/run.py --jobs 2      # two bugs at a time
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).parent / "corpus"
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
          "-p", "no:langsmith_plugin", "--no-header", "-o", "addopts="]


@dataclass
class Row:
    name: str
    kind: str
    plausible: bool
    correct: bool
    same: bool
    tried: int
    seconds: float
    summary: str


def entries(only: list[str], corpus: Path = CORPUS) -> list[Path]:
    found = sorted(p for p in corpus.iterdir() if (p / "meta.json").exists())
    return [p for p in found if not only or p.name in only]


def meta(entry: Path) -> dict[str, Any]:
    return json.loads((entry / "meta.json").read_text())


def support(entry: Path) -> list[Path]:
    """Return the entry's other files its module or tests import (meta.json "support")."""
    return [entry / name for name in meta(entry).get("support", [])]


def tests_pass(source: str, module: str, tests: Path, extra: list[Path] | None = None) -> bool:
    """Return whether the test file passes against source saved as module."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / module).write_text(source)
        shutil.copy(tests, work / tests.name)
        for path in extra or []:
            shutil.copy(path, work / path.name)
        try:
            proc = subprocess.run([*PYTEST, tests.name], cwd=work, capture_output=True,
                                  text=True, timeout=60, env={**os.environ, "PYTHONPATH": ""})
        except subprocess.TimeoutExpired:
            return False  # a test that loops is a failing test
        return proc.returncode == 0


def same_code(a: str, b: str) -> bool:
    """Return whether two sources have the same syntax trees once string statements go."""
    try:
        return ast.dump(_without_strings(ast.parse(a))) == ast.dump(_without_strings(ast.parse(b)))
    except SyntaxError:
        return False


def _without_strings(tree: ast.Module) -> ast.Module:
    """Drop docstrings and other bare string statements (a block left empty gets pass)."""
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                kept = [s for s in block if not (isinstance(s, ast.Expr)
                        and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str))]
                setattr(node, name, kept or ([ast.Pass()] if name == "body" else []))
    return tree


def make_repo(entry: Path, module: str, root: Path) -> Path:
    repo = root / entry.name
    repo.mkdir()
    shutil.copy(entry / module, repo / module)
    shutil.copy(entry / "test_visible.py", repo / "test_visible.py")
    for path in support(entry):
        shutil.copy(path, repo / path.name)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "buggy"], cwd=repo, check=True)
    return repo


def heal_cli(repo: Path, module: str, root: Path, test_timeout: float | None = None
             ) -> tuple[str, int, str]:
    """Heal through the CLI; return the healed source, candidates tried and the edit."""
    out = root / f"{repo.name}-healed.py"
    report = root / f"{repo.name}-report.json"
    cmd = ["uv", "run", "--no-sync", "healloop", "run", "--repo", str(repo), "--file", module,
           "--engine", "offline", "--yes", "--output", str(out), "--report", str(report)]
    if test_timeout is not None:
        cmd += ["--test-timeout", str(test_timeout)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900,
                              cwd=Path(__file__).resolve().parents[2])
        if proc.returncode not in (0, 1):
            print(f"  {repo.name}: exit {proc.returncode}: {proc.stderr.strip()[-300:]}",
                  file=sys.stderr)
    except subprocess.TimeoutExpired:
        print(f"  {repo.name}: healloop run timed out", file=sys.stderr)
    healed = out.read_text() if out.exists() else (repo / module).read_text()
    tried, summary = _from_report(report)
    return healed, tried, summary


def _from_report(report: Path) -> tuple[int, str]:
    """Return the repair engine's candidate count and the chosen edit from the report."""
    if not report.exists():
        return 0, ""
    data = json.loads(report.read_text())
    repairs = [c for c in data.get("candidates", []) if c.get("engine", "").startswith("repair")]
    tried = max((int(c.get("stats", {}).get("tried", 0)) for c in repairs), default=0)
    # A search that found nothing proposes nothing: its count is in the run's notes.
    for note in data.get("notes", []):
        found = re.search(r"repair of .*?: (\d+) edit\(s\) tried", note)
        tried = max(tried, int(found.group(1))) if found else tried
    best = set(data.get("best", {}).values())
    chosen = [c for c in data.get("candidates", []) if c.get("id") in best]
    summary = "; ".join(f"{c.get('engine')}: {c.get('summary', '')}" for c in chosen)
    return tried, summary


def heal_direct(repo: Path, module: str, seconds: float | None) -> tuple[str, int, str]:
    """Heal by calling the engine in-process, as the generate node would."""
    from healloop.context import RunContext
    from healloop.engines.base import GenerationJob
    from healloop.engines.test_repair import TestRepairEngine
    from healloop.sandbox import Workspace, run_tests
    from healloop.state import ReviewReport

    source = (repo / module).read_text()
    with Workspace(repo) as workspace:
        run = run_tests(workspace, ["test_visible.py"])
    ctx = RunContext(engine="offline")
    if seconds is not None:
        ctx.repair_seconds = seconds
    job = GenerationJob(repo=repo, target=module, source=source, original=source,
                        review=ReviewReport(target=module, tests=run), blast_radius=None,
                        iteration=1, context=ctx)
    proposals = TestRepairEngine().propose(job)
    if not proposals:
        return source, 0, ""
    best = proposals[0]
    return best.content, int(best.stats.get("tried", 0)), best.summary


def check(entry: Path) -> list[str]:
    """Return what is wrong with a corpus entry."""
    info = meta(entry)
    module = info["module"]
    fixed = (entry / "fixed.py").read_text()
    buggy = (entry / module).read_text()
    extra = support(entry)
    problems = []
    if not tests_pass(fixed, module, entry / "test_visible.py", extra):
        problems.append("fixed.py fails test_visible.py")
    if not tests_pass(fixed, module, entry / "test_heldout.py", extra):
        problems.append("fixed.py fails test_heldout.py")
    if tests_pass(buggy, module, entry / "test_visible.py", extra):
        problems.append("the bug passes test_visible.py")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--direct", action="store_true", help="call the engine in-process")
    parser.add_argument("--check", action="store_true", help="check the corpus, heal nothing")
    parser.add_argument("--only", action="append", default=[], help="run only this bug")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="another corpus folder")
    parser.add_argument("--seconds", type=float, default=None,
                        help="repair time budget (--direct only)")
    parser.add_argument("--test-timeout", type=float, default=None,
                        help="seconds one test may take, passed to healloop run (CLI only)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="bugs healed at once (times are then shared-machine times)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep each bug's report and healed file in this folder")
    args = parser.parse_args()
    chosen = entries(args.only, args.corpus)
    if args.check:
        bad = 0
        for entry in chosen:
            problems = check(entry)
            bad += bool(problems)
            print(f"{entry.name:22} {'ok' if not problems else '; '.join(problems)}")
        print(f"{len(chosen) - bad}/{len(chosen)} corpus entries sound")
        return 1 if bad else 0
    header = (f"{'bug':22} {'kind':11} {'plausible':>9} {'correct':>7} {'same':>4} "
              f"{'tried':>6} {'seconds':>8}")
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="repair-bench-") as tmp:
        root = Path(tmp)

        def one(entry: Path) -> Row:
            row = heal_entry(entry, root, args)
            print(f"{row.name:22} {row.kind:11} {_yn(row.plausible):>9} "
                  f"{_yn(row.correct):>7} {_yn(row.same):>4} {row.tried:>6} "
                  f"{row.seconds:>8.1f}  {row.summary}", flush=True)
            return row

        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            rows = list(pool.map(one, chosen))
    n = len(rows)
    plausible_n = sum(r.plausible for r in rows)
    correct_n = sum(r.correct for r in rows)
    same_n = sum(r.same for r in rows)
    times = [r.seconds for r in rows]
    median = statistics.median(times) if times else 0.0
    print("-" * len(header))
    print(f"plausible {plausible_n}/{n}, correct {correct_n}/{n}, same {same_n}/{n}, "
          f"median {median:.1f}s, max {max(times, default=0):.1f}s, "
          f"tried {sum(r.tried for r in rows)} candidates in all")
    print(f"repair: {plausible_n}/{n} plausible, {correct_n}/{n} correct, "
          f"median {median:.1f}s per bug")
    return 0


def heal_entry(entry: Path, root: Path, args: argparse.Namespace) -> Row:
    """Heal one corpus entry and judge the result."""
    info = meta(entry)
    module = info["module"]
    repo = make_repo(entry, module, root)
    start = time.perf_counter()
    if args.direct:
        healed, tried, summary = heal_direct(repo, module, args.seconds)
    else:
        healed, tried, summary = heal_cli(repo, module, root, args.test_timeout)
    seconds = time.perf_counter() - start
    extra = support(entry)
    plausible = tests_pass(healed, module, entry / "test_visible.py", extra)
    correct = plausible and tests_pass(healed, module, entry / "test_heldout.py", extra)
    same = same_code(healed, (entry / "fixed.py").read_text())
    if args.keep:
        keep(root, repo.name, healed, args.keep)
    return Row(entry.name, info["kind"], plausible, correct, same, tried, seconds, summary)


def keep(root: Path, name: str, healed: str, dest: Path) -> None:
    """Copy a bug's report (CLI runs) and healed file into dest/<name>/."""
    folder = dest / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "healed.py").write_text(healed)
    report = root / f"{name}-report.json"
    if report.exists():
        shutil.copy(report, folder / "report.json")


def _yn(flag: bool) -> str:
    return "yes" if flag else "no"


if __name__ == "__main__":
    raise SystemExit(main())
