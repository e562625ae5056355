"""Turn QuixBugs' Python programs into a corpus for bench/repair/run.py.

QuixBugs (github.com/jkoppel/QuixBugs) holds 40 classic programs with a one-line bug
each, their corrected versions, and pytest tests. Nothing of it is kept here: this
script reads a local git mirror (``fetch`` of jkoppel/QuixBugs, or any clone) and
writes one corpus entry per program with a Python test, in bench/repair's layout:

- ``<prog>.py``, the buggy program (python_programs/), and ``fixed.py``, the correct
  one (correct_python_programs/), both as they are;
- ``test_visible.py`` and ``test_heldout.py``, QuixBugs' test rewritten to stand
  alone: ``from <prog> import <func>``, and the JSON cases (json_testcases/<prog>.json,
  one per line) inlined as a literal;
- ``meta.json``: the module, the kind (``quixbugs``), the changed line(s) as the
  ``about``, and ``support``, the extra files the tests import (``node.py``).

The cases are split in two: the even ones are visible, the odd ones held out (for the
graph programs, whose tests are hand-written functions, the functions are split the
same way). When the bug passes every visible case, the first held-out case it fails
moves to the visible half. A case the correct program fails, or takes more than
``--slow`` seconds on (1 s), is left out: QuixBugs' own slow cases (a knapsack of 6.4
million, a Levenshtein distance of 21 by 51 letters; their skip statements go with
them) and a Levenshtein case of 1.5 to 2.5 s, by load. Every other case takes under
0.2 s, so the line at 1 s gives the same corpus on a quiet or a busy machine. Every
entry is checked before it is written: the correct program passes both files, the bug
fails the visible one; an entry that cannot be made is reported.

    uv run python bench/quixbugs/convert.py --mirror MIRROR --out CORPUS
    uv run python bench/repair/run.py --corpus CORPUS --check
    uv run python bench/repair/run.py --corpus CORPUS --test-timeout 5 --keep OUT
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import pprint
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
          "-p", "no:langsmith_plugin", "--no-header", "-o", "addopts="]
TEST_FILE = "test_all.py"
# Written beside the tests while the cases are sorted, never into the corpus: each
# test gets an alarm (a bug may loop forever) and the process a memory ceiling.
ALARM = '''import resource, signal
import pytest

LIMIT = {limit!r}
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def _expire(signum, frame):
    raise TimeoutError(f"over {{LIMIT}}s")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, LIMIT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
'''


@dataclass
class Program:
    """One QuixBugs program: its sources, its test module and its JSON cases."""

    name: str
    buggy: str
    fixed: str
    test: str
    cases: list | None  # the JSON cases; None for hand-written tests
    support: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    passed: bool
    seconds: float
    timed_out: bool = False


def extract(mirror: Path, dest: Path) -> None:
    """Write the mirror's HEAD tree into dest."""
    archive = subprocess.run(["git", "-C", str(mirror), "archive", "HEAD"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)


def names(root: Path) -> list[str]:
    """Return the programs that have a buggy, a correct version and a Python test."""
    tests = sorted((root / "python_testcases").glob("test_*.py"))
    found = [t.stem.removeprefix("test_") for t in tests]
    return [n for n in found if (root / "python_programs" / f"{n}.py").exists()
            and (root / "correct_python_programs" / f"{n}.py").exists()]


def load(root: Path, name: str) -> Program:
    test = (root / "python_testcases" / f"test_{name}.py").read_text()
    data = root / "json_testcases" / f"{name}.json"
    cases = ([json.loads(line) for line in data.read_text().splitlines() if line.strip()]
             if data.exists() else None)
    support = {}
    if "from node import" in test:
        support["node.py"] = (root / "python_testcases" / "node.py").read_text()
    return Program(name, (root / "python_programs" / f"{name}.py").read_text(),
                   (root / "correct_python_programs" / f"{name}.py").read_text(), test,
                   cases, support)


def test_functions(tree: ast.Module) -> list[ast.FunctionDef]:
    return [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test")]


def case_count(program: Program) -> int:
    if program.cases is not None:
        return len(program.cases)
    return len(test_functions(ast.parse(program.test)))


def rewrite(program: Program, keep: list[int]) -> str:
    """Return the test module standing alone, with only the cases at the indices keep."""
    tree = ast.parse(program.test)
    lines = program.test.splitlines()
    spans: list[tuple[int, int, str | None]] = []  # 1-based first, last line; new text
    tests = test_functions(tree)
    for node in tree.body:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        last = node.end_lineno or node.lineno
        if isinstance(node, ast.ImportFrom) and node.module == "load_testdata":
            spans.append((first, last, None))
        elif isinstance(node, ast.If) and "use_correct" in ast.unparse(node.test):
            spans.append((first, last, _own_import(node)))
        elif _loads_json(node) and program.cases is not None:
            chosen = [program.cases[i] for i in keep]
            spans.append((first, last, "testdata = " + _literal(chosen)))
        elif node in tests and program.cases is None and tests.index(node) not in keep:
            spans.append((first, last, None))
        elif isinstance(node, ast.FunctionDef) and node in tests:
            spans += [(s.lineno, s.end_lineno or s.lineno, None) for s in node.body
                      if _skips(s)]
    for first, last, text in sorted(spans, reverse=True):
        lines[first - 1:last] = [] if text is None else text.splitlines()
    source = _tidy(lines)
    for gone in ("use_correct", "run_slow", "load_json_testcases", "python_programs"):
        assert gone not in source, f"{program.name}: {gone} left in the test"
    ast.parse(source)
    return source


def _own_import(node: ast.If) -> str:
    """Return ``from <prog> import <func>`` for QuixBugs' use_correct switch."""
    for stmt in node.orelse:
        if isinstance(stmt, ast.ImportFrom) and stmt.module:
            module = stmt.module.rsplit(".", 1)[-1]
            return f"from {module} import {', '.join(a.name for a in stmt.names)}"
    raise ValueError("no import of python_programs in the use_correct switch")


def _loads_json(node: ast.stmt) -> bool:
    return (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == "load_json_testcases")


def _skips(stmt: ast.stmt) -> bool:
    """Return whether stmt is ``if <case>: pytest.skip(...)``, a slow case's marker."""
    return isinstance(stmt, ast.If) and "pytest.skip(" in ast.unparse(stmt.body[0])


def _literal(cases: list) -> str:
    body = [pprint.pformat(case, width=88, compact=True) for case in cases]
    inner = "".join("    " + text.replace("\n", "\n    ") + ",\n" for text in body)
    return f"[\n{inner}]" if cases else "[]"


def _tidy(lines: list[str]) -> str:
    """Join lines, at most two blank lines in a row, one newline at the end."""
    out: list[str] = []
    for line in lines:
        if line.strip() or len(out) < 2 or out[-1].strip() or out[-2].strip():
            out.append(line)
    return "\n".join(out).strip() + "\n"


def outcomes(program: Program, source: str, tests: str, limit: float) -> list[Outcome]:
    """Run the tests against source; return each test's outcome in definition order."""
    with tempfile.TemporaryDirectory(prefix="quixbugs-") as tmp:
        work = Path(tmp)
        (work / f"{program.name}.py").write_text(source)
        for name, text in program.support.items():
            (work / name).write_text(text)
        (work / TEST_FILE).write_text(tests)
        (work / "conftest.py").write_text(ALARM.format(limit=limit))
        xml = work / "junit.xml"
        try:
            subprocess.run([*PYTEST, f"--junitxml={xml}", TEST_FILE], cwd=work,
                           capture_output=True, text=True, timeout=600,
                           env={**os.environ, "PYTHONPATH": ""})
        except subprocess.TimeoutExpired:
            return []
        if not xml.exists():
            return []
        found = []
        for case in ET.parse(xml).iter("testcase"):
            bad = [c for c in case if c.tag in ("failure", "error", "skipped")]
            late = any("TimeoutError" in (c.get("message") or "") for c in bad)
            found.append(Outcome(not bad, float(case.get("time") or 0), late))
        return found


def split(fast: list[int], buggy: list[Outcome]) -> tuple[list[int], list[int]]:
    """Split the usable cases: even ones visible, odd ones held out, one failing visible."""
    visible, heldout = fast[0::2], fast[1::2]
    if all(buggy[i].passed for i in visible):
        failing = [i for i in heldout if not buggy[i].passed]
        if failing:
            heldout.remove(failing[0])
            visible = sorted([*visible, failing[0]])
    return visible, heldout


def about(buggy: str, fixed: str) -> str:
    """Return the changed code lines, ``buggy → fixed``, comments and docstrings aside."""
    old, new = _code_lines(buggy), _code_lines(fixed)
    diff = list(difflib.ndiff(old, new))
    removed = " | ".join(d[2:] for d in diff if d.startswith("- "))
    added = " | ".join(d[2:] for d in diff if d.startswith("+ "))
    return f"`{removed}` → `{added}`" if removed else f"missing `{added}`"


def _code_lines(source: str) -> list[str]:
    tree = ast.parse(source)
    strings = {line for node in ast.walk(tree) if isinstance(node, ast.Expr) and _is_string(node)
               for line in range(node.lineno, (node.end_lineno or node.lineno) + 1)}
    lines = source.splitlines()
    kept = [lines[i - 1].split("#", 1)[0].strip() for i in range(1, len(lines) + 1)
            if i not in strings]
    return [line for line in kept if line]


def _is_string(node: ast.AST) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))


def convert(program: Program, out: Path, slow: float) -> tuple[str | None, list[str]]:
    """Write the program's entry into out; return why it was not written, and notes."""
    everything = rewrite(program, list(range(case_count(program))))
    correct = outcomes(program, program.fixed, everything, slow + 1)
    buggy = outcomes(program, program.buggy, everything, slow + 1)
    n = case_count(program)
    if len(correct) != n or len(buggy) != n:
        return f"ran {len(correct)} and {len(buggy)} of {n} cases", []
    notes = [f"case {i} left out: the correct program "
             + (f"takes over {slow + 1:g}s" if o.timed_out else "fails it" if not o.passed
                else f"takes {o.seconds:.1f}s")
             for i, o in enumerate(correct) if not o.passed or o.seconds > slow]
    fast = [i for i, o in enumerate(correct) if o.passed and o.seconds <= slow]
    visible, heldout = split(fast, buggy)
    if all(buggy[i].passed for i in visible):
        return "the bug passes every usable case", notes
    files = {"test_visible.py": rewrite(program, visible),
             "test_heldout.py": rewrite(program, heldout)}
    problem = _unsound(program, files, slow)
    if problem:
        return problem, notes
    _write(program, out / program.name, files)
    notes.append(f"{len(visible)} visible ({sum(not buggy[i].passed for i in visible)} "
                 f"failing), {len(heldout)} held out")
    return None, notes


def _unsound(program: Program, files: dict[str, str], slow: float) -> str | None:
    """Return what is wrong with the split files, run on their own (shared state)."""
    for name, tests in files.items():
        if not all(o.passed for o in outcomes(program, program.fixed, tests, slow + 1)):
            return f"the correct program fails {name} on its own"
    if all(o.passed for o in outcomes(program, program.buggy, files["test_visible.py"],
                                      slow + 1)):
        return "the bug passes test_visible.py on its own"
    return None


def _write(program: Program, entry: Path, files: dict[str, str]) -> None:
    shutil.rmtree(entry, ignore_errors=True)
    entry.mkdir(parents=True)
    module = f"{program.name}.py"
    (entry / module).write_text(program.buggy)
    (entry / "fixed.py").write_text(program.fixed)
    for name, text in {**files, **program.support}.items():
        (entry / name).write_text(text)
    info: dict[str, str | list[str]] = {"module": module, "kind": "quixbugs",
                                        "about": about(program.buggy, program.fixed)}
    if program.support:
        info["support"] = sorted(program.support)
    (entry / "meta.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, required=True,
                        help="git mirror or clone of jkoppel/QuixBugs")
    parser.add_argument("--out", type=Path, required=True, help="corpus folder to write")
    parser.add_argument("--only", action="append", default=[], help="only this program")
    parser.add_argument("--slow", type=float, default=1.0,
                        help="leave out a case the correct program takes longer on")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    dropped = []
    with tempfile.TemporaryDirectory(prefix="quixbugs-tree-") as tmp:
        root = Path(tmp)
        extract(args.mirror, root)
        chosen = [n for n in names(root) if not args.only or n in args.only]
        for name in chosen:
            reason, notes = convert(load(root, name), args.out, args.slow)
            print(f"{name:28} {'dropped: ' + reason if reason else 'ok'}; {'; '.join(notes)}",
                  flush=True)
            if reason:
                dropped.append(name)
    print(f"{len(chosen) - len(dropped)}/{len(chosen)} programs written to {args.out}"
          + (f"; dropped: {', '.join(dropped)}" if dropped else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
