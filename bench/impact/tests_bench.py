"""Test impact: run only the affected tests, and still catch what the full suite catches.

On a temporary clone of PATH (psf/requests), with a virtualenv that has its test
dependencies (VENV), for each target:
1. the full suite runs once (the baseline) and once under coverage, which records
   the map of which test ran which file;
2. regressions are seeded in the target (a comparison flipped, a return value lost;
   sites spread over the file), and for each mutant ``affected_tests`` selects, from
   ``analyse()`` and the change itself, the tests to run: those that ran the changed
   lines, or every test file that reaches the target when the change runs at import
   time (the loop's evaluate runs the test files reaching the target, the third column);
3. for each mutant the full suite and the selection run: the selection must fail
   wherever the suite does, and the speed-up is the ratio of their durations.

With --dry, step 3 is left out: each change is weighed by the durations its selected
tests had in the unchanged full run, so many more sites per target can be measured in
minutes (catching is then what the full runs of the table showed, not re-checked).

Usage: uv run python bench/impact/tests_bench.py PATH --venv VENV [--targets a.py b.py]
       [--mutants 3] [--package src/requests] [--pytest-args="-m 'not stress'"] [--dry]
Every run goes through healloop's sandbox (a scratch copy, limits, no network).
"""

from __future__ import annotations

import argparse
import ast
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from healloop.analysis.blast import analyse
from healloop.analysis.test_impact import affected_tests, collect_coverage_map
from healloop.sandbox.limits import Limits
from healloop.sandbox.pytest_run import run_tests
from healloop.sandbox.workspace import Workspace
from healloop.state import FileChange, TestRun

PACKAGE = "src/requests"
"""Every module of it with a site to seed is a target, unless --targets names some."""
ARGS = ["-o", "pythonpath=src", "-p", "no:randomly", "-o", "addopts="]


def clone(source: Path, into: Path, venv: Path) -> Path:
    work = into / "work"
    subprocess.run(["git", "clone", "-q", str(source), str(work)], check=True)
    (work / ".venv").symlink_to(venv.resolve())
    return work


_SWAP = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
         ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.Lt: ast.GtE, ast.Gt: ast.LtE}


def _sites(tree: ast.AST) -> list[tuple[ast.AST, str, str]]:
    """Return (node, replacement source, description) for every seedable regression."""
    sites = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and type(node.ops[0]) in _SWAP:
            flipped = ast.Compare(node.left, [_SWAP[type(node.ops[0])](), *node.ops[1:]],
                                  node.comparators)
            sites.append((node, ast.unparse(flipped),
                          f"line {node.lineno}: flipped {type(node.ops[0]).__name__}"))
        elif isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            sites.append((node, "return None",
                          f"line {node.lineno}: return None instead of a value"))
    return sorted(sites, key=lambda s: (s[0].lineno, s[0].col_offset))


def mutants(source: str, count: int) -> list[tuple[str, str]]:
    """Return up to count (description, mutated source), sites spread over the file.

    Only the node's own text changes, so the diff touches the lines of that node.
    """
    sites = _sites(ast.parse(source))
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.encode("utf-8")))
    data = source.encode("utf-8")
    out = []
    picks = sorted({round(k * (len(sites) - 1) / max(1, count - 1)) for k in range(count)})
    for i in picks if sites else []:
        node, text, what = sites[i]
        start = offsets[node.lineno - 1] + node.col_offset
        end = offsets[node.end_lineno - 1] + node.end_col_offset
        mutated = (data[:start] + text.encode("utf-8") + data[end:]).decode("utf-8")
        out.append((what, mutated))
    return out


def selected(durations: dict[str, float], selection: list[str]) -> list[str]:
    """Return the full run's tests a selection runs (a test file runs whole)."""
    chosen = set(selection)
    return [nodeid for nodeid in durations
            if nodeid in chosen or nodeid.split("::", 1)[0] in chosen]


def selected_time(durations: dict[str, float], selection: list[str]) -> float:
    """Return how long the selected tests took in the full run (test files whole)."""
    return sum(durations[nodeid] for nodeid in selected(durations, selection))


LIMITS = Limits()
"""The sandbox's limits for every run (--test-timeout lowers a test's)."""


def run(work: Path, tests: list[str] | None, change: FileChange | None = None) -> TestRun:
    with Workspace(work) as workspace:
        if change is not None:
            workspace.apply([change])
        return run_tests(workspace, tests, limits=LIMITS, extra_args=ARGS)



def dry(work: Path, targets: list[str], sites: int, durations: dict[str, float]) -> int:
    """Print, per target, how much less test time its seeded changes select."""
    total = sum(durations.values())
    print("| target | seeded, some test runs it | tests selected (median) | "
          "median change | all its changes |")
    print("|---|---:|---:|---:|---:|")
    medians, sums, changes = [], [], []
    for target in targets:
        source = (work / target).read_text(encoding="utf-8")
        radius = analyse(work, target, knowledge_graph=False)
        ratios, sizes, spent = [], [], 0.0
        for _, mutated in mutants(source, sites):
            selection = affected_tests(radius, repo=work, old=source, new=mutated)
            if selection:  # no test runs the changed line: nothing to weigh
                seconds = selected_time(durations, selection)
                spent += seconds
                sizes.append(len(selected(durations, selection)))
                ratios.append(total / max(seconds, 0.001))
        if not ratios:
            continue
        medians.append(statistics.median(ratios))
        sums.append(total * len(ratios) / max(spent, 0.001))
        changes += ratios
        print(f"| {target} | {len(ratios)} | {statistics.median(sizes):.0f} | "
              f"{medians[-1]:.1f}x | {sums[-1]:.1f}x |")
    print(f"\nby test time ({total:.1f} s for the whole suite), {len(changes)} seeded changes "
          f"over {len(medians)} targets: median change {statistics.median(changes):.1f}x; "
          f"per target, its median change {statistics.median(medians):.1f}x and all its "
          f"changes together {statistics.median(sums):.1f}x (medians over targets)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--venv", type=Path, required=True)
    parser.add_argument("--targets", nargs="*", default=None)
    parser.add_argument("--package", default=PACKAGE)
    parser.add_argument("--mutants", type=int, default=3)
    parser.add_argument("--pytest-args", type=shlex.split, default=[],
                        help="more pytest arguments for every run (addopts are cleared)")
    parser.add_argument("--dry", action="store_true",
                        help="weigh selections by test durations; run no seeded change")
    parser.add_argument("--test-timeout", type=float, default=Limits().test_timeout,
                        help="seconds a test may take (a seeded deadlock hangs many)")
    args = parser.parse_args()
    ARGS.extend(args.pytest_args)
    global LIMITS
    LIMITS = Limits(test_timeout=args.test_timeout)
    with tempfile.TemporaryDirectory(prefix="healloop-tests-") as tmp:
        work = clone(args.repo.resolve(), Path(tmp), args.venv)
        full = run(work, None)
        base_failing, base_errors = full.failing, set(full.errors)
        durations = {r.nodeid: r.duration for r in full.results}
        print(f"full suite: {len(full.results)} tests, {full.duration:.1f} s, "
              f"{len(base_failing)} failing before any change", file=sys.stderr)
        collect_coverage_map(work, limits=LIMITS, extra_args=ARGS)
        targets = args.targets or sorted(
            str(p.relative_to(work)) for p in (work / args.package).glob("*.py"))
        if args.dry:
            return dry(work, targets, args.mutants, durations)
        print("| target | seeded | test files reaching it | tests run (changed lines) | "
              "full s | selection s | speed-up | by test time | caught by suite | "
              "caught by selection |")
        # full s and selection s add up the seeded changes that some test runs; by test
        # time compares the durations the selected tests had in the unchanged full run
        # (the same run for every change; a duration there still includes the waits
        # other tests caused).
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        speedups, per_target, by_time, cases, missed, tests_missed = [], [], [], [], 0, 0
        for target in targets:
            source = (work / target).read_text(encoding="utf-8")
            if not mutants(source, 1):
                print(f"| {target} | 0 | no comparison or return value to seed |"
                      + " |" * 7)
                continue
            radius = analyse(work, target, knowledge_graph=False)
            seeded = suite_caught = chosen_caught = 0
            sizes, timed, test_time = [], [], []
            for what, mutated in mutants(source, args.mutants):
                selection = affected_tests(radius, repo=work, old=source, new=mutated)
                change = FileChange(path=target, content=mutated)
                suite = run(work, None, change)
                chosen = run(work, selection, change) if selection else TestRun()
                # A broken import fails no test: pytest reports the files it cannot collect.
                by_suite = (suite.failing - base_failing) | (set(suite.errors) - base_errors)
                by_chosen = (chosen.failing - base_failing) | (set(chosen.errors) - base_errors)
                seeded += 1
                suite_caught += bool(by_suite)
                chosen_caught += bool(by_chosen)
                missed += bool(by_suite and not by_chosen)
                # Test by test: every test the suite fails, the selection must fail too
                # (a file that no longer collects counts as its tests).
                unseen = {t for t in suite.failing - base_failing
                          if t not in chosen.failing and t.split("::", 1)[0] not in
                          {u.path for u in chosen.uncollected}}
                tests_missed += len(unseen)
                if suite.timed_out or chosen.timed_out:
                    print(f"warning: `{target}` {what}: a run reached its time limit",
                          file=sys.stderr)
                sizes.append(len(chosen.results))
                if selection:  # no test runs the changed line: nothing to time
                    timed.append((suite.duration, chosen.duration))
                    test_time.append(selected_time(durations, selection))
                    speedups.append(suite.duration / max(chosen.duration, 0.01))
                cases.append(f"`{target}` {what}: the suite fails {len(by_suite)} test(s), "
                             f"the selection ({len(chosen.results)} tests) fails "
                             f"{len(by_chosen)}"
                             + (f"; not failed by the selection: {', '.join(sorted(unseen)[:3])}"
                                if unseen else ""))
            if timed:
                full_s = sum(f for f, _ in timed)
                chosen_s = sum(c for _, c in timed)
                per_target.append(full_s / max(chosen_s, 0.01))
                by_time.append(sum(durations.values()) * len(test_time)
                               / max(sum(test_time), 0.01))
                times = (f"{full_s:.1f} | {chosen_s:.1f} | {per_target[-1]:.1f}x | "
                         f"{by_time[-1]:.1f}x")
            else:
                times = "| | | no test runs the seeded lines"
            print(f"| {target} | {seeded} | {len(radius.tests)} | "
                  f"{statistics.median(sizes):.0f} | {times} | {suite_caught} | "
                  f"{chosen_caught} |")
        print("\nSeeded cases:")
        for case in cases:
            print(f"- {case}")
        print(f"\nby the tests' durations in the unchanged full run: median per target "
              f"{statistics.median(by_time):.1f}x")
        print(f"\nselected tests faster than the full suite ({full.duration:.1f} s unchanged):"
              f" median per target {statistics.median(per_target):.1f}x over {len(per_target)} "
              f"targets, per seeded change "
              f"{statistics.median(speedups):.1f}x (changes no test runs left out); "
              f"regressions the suite caught and the selection missed: {missed} of "
              f"{len(cases)} seeded; tests the suite failed and the selection did not: "
              f"{tests_missed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
