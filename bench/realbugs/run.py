"""Benchmark of offline repair on real bugs mined from the history of real projects.

Each case (cases.json) names a project, a fix commit that changed one source file by
a few lines and added or changed tests, the source file, and the tests that fail
without the fix. A case is built from a local git mirror of the project (``fetch``
or ``git clone --mirror``; pass their parent folder with --mirrors, laid out as
``<owner>+<name>/repo`` or ``<owner>+<name>``): a clone at the fix's parent with the
fix commit's test files checked in on top, so that HEAD holds the bug, the new tests,
and no trace of the fix. The harness then heals it through the real CLI:

    healloop run --repo <copy> --file <src> --engine offline --yes --output <out>

and judges the healed file by running the project's suite (the test folders of
cases.json's project entry) three times, on the buggy tree, the developer's fixed
tree and the healed tree:

- plausible: the tests the fix turned green pass, and every test that passed on the
  buggy tree still passes;
- correct: every test that passes on the developer's fixed tree passes (the fix
  commit's suite), or the healed file is the developer's fix (same syntax tree);
- same: the healed file is the developer's fix.

Each project's tests run in a virtualenv of its own (pytest, the project's test
dependencies, the project's release from PyPI for its metadata), built once and kept
in --cache; the checkout is put first on PYTHONPATH (``src/`` for a src layout), as
healloop's sandbox does. The CLI finds it through HEALLOOP_PYTHON.

    uv run python bench/realbugs/run.py --mirrors DIR [--only ID ...] [--jobs 2]
    uv run python bench/realbugs/run.py --mirrors DIR --check   # the cases themselves
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
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CASES = HERE / "cases.json"
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
       "-c", "advice.detachedHead=false"]


@dataclass
class Row:
    id: str
    plausible: bool = False
    correct: bool = False
    same: bool = False
    seconds: float = 0.0
    exit: int | None = None
    summary: str = ""
    notes: list[str] = field(default_factory=list)


def load(path: Path) -> tuple[dict, list[dict]]:
    data = json.loads(path.read_text())
    return data["projects"], data["cases"]


def mirror_of(mirrors: Path, project: str) -> Path:
    slug = project.replace("/", "+")
    for candidate in (mirrors / slug / "repo", mirrors / slug, mirrors / f"{slug}.git"):
        if (candidate / "HEAD").exists() or (candidate / ".git").exists():
            return candidate
    raise SystemExit(f"no mirror of {project} under {mirrors}")


def venv_for(cache: Path, project: str, info: dict) -> Path:
    """Return the Python of the project's virtualenv, building it the first time."""
    home = cache / "venvs" / project.replace("/", "+")
    python = home / "bin" / "python"
    stamp = home / ".healloop-realbugs.json"
    wanted = json.dumps(info, sort_keys=True)
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    shutil.rmtree(home, ignore_errors=True)
    subprocess.run(["uv", "venv", "-q", "-p", info.get("python", "3.11"), str(home)], check=True)
    packages = ["pytest", *info.get("deps", []), *([info["dist"]] if info.get("dist") else [])]
    subprocess.run(["uv", "pip", "install", "-q", "-p", str(python), *packages], check=True)
    stamp.write_text(wanted)
    return python


def build(mirror: Path, case: dict, dest: Path) -> None:
    """Clone the mirror at the fix's parent, then commit the fix's tests on top."""
    sha = case["commit"]
    subprocess.run([*GIT, "clone", "-q", "--shared", "--no-checkout", str(mirror), str(dest)],
                   check=True)
    subprocess.run([*GIT, "checkout", "-q", f"{sha}^"], cwd=dest, check=True)
    changed = subprocess.run([*GIT, "diff", "--name-only", "--no-renames", f"{sha}^", sha],
                             cwd=dest, check=True, capture_output=True, text=True).stdout.split()
    present = subprocess.run([*GIT, "ls-tree", "-r", "--name-only", sha], cwd=dest, check=True,
                             capture_output=True, text=True).stdout.split()
    others = [p for p in changed if p != case["src"]]
    kept = [p for p in others if p in set(present)]
    gone = [p for p in others if p not in set(present)]
    if kept:
        subprocess.run([*GIT, "checkout", "-q", sha, "--", *kept], cwd=dest, check=True)
    if gone:
        subprocess.run([*GIT, "rm", "-q", "--", *gone], cwd=dest, check=True)
    subprocess.run([*GIT, "commit", "-q", "--allow-empty", "-m", "tests of the fix"], cwd=dest,
                   check=True)
    subprocess.run([*GIT, "remote", "remove", "origin"], cwd=dest, check=False)


def fixed_source(mirror: Path, case: dict) -> str:
    return subprocess.run(["git", "--git-dir" if (mirror / "HEAD").exists() else "-C",
                           str(mirror), "show", f"{case['commit']}:{case['src']}"],
                          check=True, capture_output=True, text=True).stdout


def suite(python: Path, tree: Path, tests: list[str], timeout: float = 900) -> dict[str, str]:
    """Run tests in tree; return each test id's outcome (passed, failed, skipped)."""
    src = tree / "src"
    path = [str(src)] if src.is_dir() and not (src / "__init__.py").exists() else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*path, str(tree)])}
    env.pop("VIRTUAL_ENV", None)
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "junit.xml"
        try:
            subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            "-p", "no:randomly", "--continue-on-collection-errors",
                            f"--junitxml={xml}", *tests], cwd=tree, env=env,
                           capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {}
        if not xml.exists():
            return {}
        return _outcomes(xml)


def _outcomes(xml: Path) -> dict[str, str]:
    found = {}
    for case in ET.parse(xml).iter("testcase"):
        key = f"{case.get('classname', '')}::{case.get('name')}"
        tags = {child.tag for child in case}
        found[key] = ("failed" if tags & {"failure", "error"} else
                      "skipped" if "skipped" in tags else "passed")
    return found


def lost(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Return the tests that passed before and do not pass after.

    A parametrized case whose id is built from the clock (marshmallow's
    ``test_invalid_datetime_deserialization[07:53:16 2026-11-26]``) has a new id in
    every run: it is paired with a new passing case of the same test function.
    """
    passed_before = {t for t, o in before.items() if o == "passed"}
    passed_after = {t for t, o in after.items() if o == "passed"}
    missing = passed_before - passed_after
    gone = sorted(t for t in missing if t not in after and "[" in t)
    fresh: dict[str, int] = {}
    for t in passed_after - passed_before:
        if "[" in t and t not in before:
            fresh[t.split("[", 1)[0]] = fresh.get(t.split("[", 1)[0], 0) + 1
    broken = [t for t in missing if t not in gone]
    for t in gone:
        function = t.split("[", 1)[0]
        if fresh.get(function):
            fresh[function] -= 1
        else:
            broken.append(t)
    return sorted(broken)


def junit_id(nodeid: str) -> str:
    """Return the junit key (classname::name) of a pytest node id."""
    path, *rest = nodeid.split("::")
    module = path[:-3].replace("/", ".") if path.endswith(".py") else path
    return "::".join([".".join([module, *rest[:-1]]), rest[-1]])


def same_tree(a: str, b: str) -> bool:
    try:
        return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))
    except SyntaxError:
        return False


def heal(repo: Path, src: str, work: Path, python: Path, args: argparse.Namespace
         ) -> tuple[str, int | None, float, str]:
    out = work / "healed.py"
    report = work / "report.json"
    cmd = ["uv", "run", "--no-sync", "healloop", "run", "--repo", str(repo), "--file", src,
           "--engine", "offline", "--yes", "--output", str(out), "--report", str(report)]
    if args.repair_seconds:
        cmd += ["--repair-seconds", str(args.repair_seconds)]
    env = {**os.environ, "HEALLOOP_PYTHON": str(python)}
    env.pop("VIRTUAL_ENV", None)
    started = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, cwd=ROOT,
                              env=env)
        code, tail = proc.returncode, proc.stderr.strip()[-400:]
    except subprocess.TimeoutExpired:
        code, tail = None, "timed out"
    seconds = time.monotonic() - started
    (work / "stderr.txt").write_text(tail)
    healed = out.read_text() if out.exists() else (repo / src).read_text()
    summary = _summary(report)
    return healed, code, seconds, summary or ("" if code in (0, 1) else tail.splitlines()[-1:]
                                              and tail.splitlines()[-1] or "")


def _summary(report: Path) -> str:
    if not report.exists():
        return ""
    data = json.loads(report.read_text())
    best = set(data.get("best", {}).values())
    chosen = [c for c in data.get("candidates", []) if c.get("id") in best]
    text = "; ".join(f"{c.get('engine')}: {c.get('summary', '')}" for c in chosen)
    if not text:
        notes = [n for n in data.get("notes", []) if "repair" in n]
        text = "no proposal" + (f" ({notes[-1]})" if notes else "")
    return text


def run_case(case: dict, projects: dict, args: argparse.Namespace) -> Row:
    row = Row(case["id"])
    info = projects[case["project"]]
    mirror = mirror_of(args.mirrors, case["project"])
    python = venv_for(args.cache, case["project"], info)
    tests = info.get("tests", ["tests"])
    with tempfile.TemporaryDirectory(prefix="realbug-") as tmp:
        work = Path(tmp)
        repo = work / case["project"].split("/")[1]
        build(mirror, case, repo)
        buggy = (repo / case["src"]).read_text()
        fixed = fixed_source(mirror, case)
        judge = work / "judge"
        shutil.copytree(repo, judge, ignore=shutil.ignore_patterns(".git"))
        before = suite(python, judge, tests)
        (judge / case["src"]).write_text(fixed)
        reference = suite(python, judge, tests)
        failing = [junit_id(t) for t in case["failing"]]
        if args.check:
            row.plausible = all(before.get(t) == "failed" for t in failing)
            row.correct = all(reference.get(t) == "passed" for t in failing)
            row.summary = (f"{sum(v == 'passed' for v in before.values())} pass before, "
                           f"{sum(v == 'passed' for v in reference.values())} after")
            return row
        healed, row.exit, row.seconds, row.summary = heal(repo, case["src"], work, python, args)
        row.same = same_tree(healed, fixed)
        if args.keep:
            keep = args.keep / case["id"]
            keep.mkdir(parents=True, exist_ok=True)
            for name in ("report.json", "stderr.txt"):
                if (work / name).exists():
                    shutil.copy(work / name, keep)
            (keep / "healed.py").write_text(healed)
        if healed == buggy:
            return row
        (judge / case["src"]).write_text(healed)
        after = suite(python, judge, tests)
        kept = not lost(before, after)
        row.plausible = kept and all(after.get(t) == "passed" for t in failing)
        row.correct = row.same or (row.plausible and not lost(reference, after))
    return row


def _yn(flag: bool) -> str:
    return "yes" if flag else "no"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=os.environ.get("HEALLOOP_MIRRORS"),
                        help="folder of git mirrors, <owner>+<name>/repo (HEALLOOP_MIRRORS)")
    parser.add_argument("--cases", type=Path, default=CASES)
    parser.add_argument("--cache", type=Path,
                        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                        / "healloop-realbugs", help="where project virtualenvs are kept")
    parser.add_argument("--only", action="append", default=[], help="run only this case id")
    parser.add_argument("--project", action="append", default=[], help="only this project")
    parser.add_argument("--jobs", type=int, default=1, help="cases healed at once")
    parser.add_argument("--repair-seconds", type=float, default=None,
                        help="passed to healloop run (its default when omitted)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per healloop run")
    parser.add_argument("--check", action="store_true",
                        help="check the cases: the tests fail before the fix, pass after")
    parser.add_argument("--keep", type=Path, default=None, help="keep reports and healed files")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    args = parser.parse_args()
    if args.mirrors is None:
        parser.error("--mirrors (or HEALLOOP_MIRRORS) is required")
    projects, cases = load(args.cases)
    cases = [c for c in cases if (not args.only or c["id"] in args.only)
             and (not args.project or c["project"] in args.project)]
    for project in sorted({c["project"] for c in cases}):
        venv_for(args.cache, project, projects[project])  # build once, before the threads
    rows: list[Row] = []
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for row in pool.map(lambda c: run_case(c, projects, args), cases):
            rows.append(row)
            print(f"{row.id:<34} {_yn(row.plausible):<9} {_yn(row.correct):<7} "
                  f"{_yn(row.same):<4} {row.seconds:7.1f} {row.exit!s:<4} {row.summary[:110]}",
                  flush=True)
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in rows], indent=1))
    if args.check:
        bad = [r.id for r in rows if not (r.plausible and r.correct)]
        print(f"check: {len(rows) - len(bad)}/{len(rows)} cases sound" +
              (f"; unsound: {', '.join(bad)}" if bad else ""))
        return 1 if bad else 0
    plausible = sum(r.plausible for r in rows)
    correct = sum(r.correct for r in rows)
    same = sum(r.same for r in rows)
    median = statistics.median(r.seconds for r in rows) if rows else 0.0
    print(f"realbugs: {plausible}/{len(rows)} plausible, {correct}/{len(rows)} correct, "
          f"{same}/{len(rows)} same as the developer's fix, median {median:.1f}s per bug")
    return 0


if __name__ == "__main__":
    sys.exit(main())
