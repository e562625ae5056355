"""Turn HumanEvalFix's 164 Python bugs into a corpus for bench/repair/run.py.

HumanEvalFix (HumanEvalPack, Muennighoff et al., "OctoPack", 2023) puts one bug, written
by hand, into each canonical solution of OpenAI's HumanEval: missing or excess logic, a
wrong operator, variable, value or function. Nobody here wrote or tuned on it. Nothing of
it is kept in this repository: the script reads two local git mirrors (``fetch`` them):

- ``swe-bench/swe-bench__humanevalfix-python``: one commit per task, ``main.py`` holding
  the buggy function and its docstring's examples as a ``check`` function;
- ``ArthurYangX/harbor-humanevalpack-dataset``: per task the canonical solution
  (``solution/solution.py``) and the full tests (``tests/test_code.txt``).

Each entry, in bench/repair's layout:

- ``<entry_point>.py``, the buggy module, and ``fixed.py``, the canonical one;
- ``test_heldout.py``, the full tests; ``test_visible.py``, the tests repair may use:
  the docstring's examples (``--visible examples``, the default) or the full tests
  themselves (``--visible full``, HumanEvalFix's own setting, where the tests are given);
- ``meta.json``: the module, the kind (``humanevalfix``), the task id as the ``about``.

A check function made only of asserts becomes one test per assert, so a repair sees
which cases fail; any other check (loops, set-up) stays one test. ``from <module> import
*`` gives the tests the module's helpers (``poly`` beside ``find_zero``). When the bug
passes every example, the first held-out test it fails becomes visible too. Every entry
is checked before it is written: the canonical module passes both files and the bug
fails the visible one; an entry that cannot be made is reported and left out.

    uv run python bench/humanevalfix/convert.py --bugs MIRROR1 --solutions MIRROR2 --out DIR
    uv run python bench/repair/run.py --corpus DIR --check
    uv run python bench/repair/run.py --corpus DIR --test-timeout 5 --keep OUT
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
          "-p", "no:langsmith_plugin", "--no-header", "-o", "addopts="]
# The harbor files start every solution with these two lines, which the task lacks.
HEADER = "from typing import List, Dict, Tuple, Optional, Any, Union\nimport math\n"


@dataclass
class Task:
    number: int
    entry: str
    buggy: str
    fixed: str
    examples: str  # the check function of main.py, from the docstring's examples
    tests: str  # the full check function


def git(mirror: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(mirror), *args], check=True,
                          capture_output=True, text=True).stdout


def tasks(bugs: Path, solutions: Path) -> list[Task]:
    """Return every task both mirrors hold, in order of its number."""
    found: list[Task] = []
    for line in git(bugs, "log", "--format=%H %s", "HEAD").splitlines():
        commit, subject = line.split(" ", 1)
        match = re.fullmatch(r"Task instance Python/(\d+)", subject)
        if not match:
            continue
        number = int(match.group(1))
        main = git(bugs, "show", f"{commit}:main.py")
        # The last check at the module's margin: a solution may define its own check.
        buggy, _, examples = main.rpartition("\ndef check(")
        if not _:
            buggy, examples = main, ""
        folder = f"datasets/humanevalpack-fix/python_{number}"
        fixed = git(solutions, "show", f"HEAD:{folder}/solution/solution.py")
        tests = git(solutions, "show", f"HEAD:{folder}/tests/test_code.txt")
        entry = re.search(r"^check\((\w+)\)", tests, re.M)
        if entry is None:
            raise ValueError(f"Python/{number}: no check(...) call in its tests")
        found.append(Task(number, entry.group(1), buggy.rstrip() + "\n",
                          fixed.removeprefix(HEADER).strip("\n") + "\n",
                          "def check(" + examples if examples else "", tests))
    return sorted(found, key=lambda t: t.number)


class _Rename(ast.NodeTransformer):
    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id == self.old:
            node.id = self.new
        return node


def test_bodies(check_source: str, entry: str) -> list[str]:
    """Return the bodies of the tests a check function becomes (see the module doc)."""
    if not check_source:
        return []
    tree = ast.parse(check_source)
    check = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check")
    param = check.args.args[0].arg
    statements = [s for s in check.body
                  if not (isinstance(s, ast.Assert) and isinstance(s.test, ast.Constant))]
    if statements and all(isinstance(s, ast.Assert) for s in statements):
        renamed = [_Rename(param, entry).visit(s) for s in statements]
        return [ast.unparse(s) for s in renamed]
    helper = ast.unparse(check)
    return [f"{_indent(helper)}\n    check({entry})"]


def _indent(text: str) -> str:
    return "\n".join("    " + line if line else line for line in text.splitlines())


def test_module(entry: str, bodies: list[str]) -> str:
    """Return a test file of one test per body, importing the module named for entry."""
    lines = [f"from {entry} import *  # noqa: F403", f"from {entry} import {entry}", ""]
    for index, body in enumerate(bodies):
        lines += ["", f"def test_{index}():"]
        lines += [body if body.startswith("    ") else _indent(body), ""]
    return "\n".join(lines).rstrip() + "\n"


def failing(source: str, module: str, tests: str, timeout: float) -> list[str] | None:
    """Return the names of the tests that fail against source; None when pytest hangs."""
    with tempfile.TemporaryDirectory(prefix="hefix-") as tmp:
        work = Path(tmp)
        (work / f"{module}.py").write_text(source)
        (work / "test_it.py").write_text(tests)
        try:
            run = subprocess.run([*PYTEST, "-rf", "test_it.py"], cwd=work, timeout=timeout,
                                 capture_output=True, text=True)
        except subprocess.TimeoutExpired:
            return None
        if run.returncode not in (0, 1):
            return [f"pytest exit {run.returncode}"]
        return re.findall(r"^FAILED test_it\.py::(\w+)", run.stdout, re.M)


def _first_failed(task: Task, bodies: list[str], timeout: float) -> str | None:
    """Return the first held-out test the bug fails (one at a time when it hangs)."""
    missed = failing(task.buggy, task.entry, test_module(task.entry, bodies),
                     timeout)
    if missed:
        return bodies[int(missed[0].removeprefix("test_"))]
    if missed is None:
        for body in bodies:
            alone = test_module(task.entry, [body])
            if failing(task.buggy, task.entry, alone, timeout / len(bodies)) != []:
                return body
    return None


def convert(task: Task, out: Path, visible_mode: str, timeout: float) -> str | None:
    """Write one entry; return why it could not be made, or None."""
    heldout_bodies = test_bodies(task.tests, task.entry)
    heldout = test_module(task.entry, heldout_bodies)
    if visible_mode == "full":
        visible_bodies = heldout_bodies
    else:
        visible_bodies = test_bodies(task.examples, task.entry)
    visible = test_module(task.entry, visible_bodies)
    if failing(task.fixed, task.entry, heldout, timeout) != []:
        return "the canonical solution fails the full tests"
    if visible_bodies and failing(task.fixed, task.entry, visible, timeout) != []:
        return "the canonical solution fails the examples"
    if not visible_bodies or failing(task.buggy, task.entry, visible, timeout) == []:
        moved = _first_failed(task, heldout_bodies, timeout)
        if moved is None:
            return "the bug passes the full tests"
        visible = test_module(task.entry, [*visible_bodies, moved])
    entry = out / f"{task.number:03d}_{task.entry}"
    entry.mkdir(parents=True)
    (entry / f"{task.entry}.py").write_text(task.buggy)
    (entry / "fixed.py").write_text(task.fixed)
    (entry / "test_visible.py").write_text(visible)
    (entry / "test_heldout.py").write_text(heldout)
    meta = {"module": f"{task.entry}.py", "kind": "humanevalfix",
            "about": f"HumanEvalFix Python/{task.number}"}
    (entry / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bugs", type=Path, required=True,
                        help="mirror of swe-bench/swe-bench__humanevalfix-python")
    parser.add_argument("--solutions", type=Path, required=True,
                        help="mirror of ArthurYangX/harbor-humanevalpack-dataset")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--visible", choices=["examples", "full"], default="examples")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds for one pytest while checking an entry")
    parser.add_argument("--only", type=int, action="append", default=[],
                        help="task number (repeatable)")
    args = parser.parse_args()
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    chosen = [t for t in tasks(args.bugs, args.solutions)
              if not args.only or t.number in args.only]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        reasons = list(pool.map(lambda t: convert(t, args.out, args.visible, args.timeout),
                                chosen))
    skipped = 0
    for task, why in zip(chosen, reasons, strict=True):
        if why:
            skipped += 1
            print(f"Python/{task.number} ({task.entry}): left out, {why}")
    made = len(list(args.out.iterdir()))
    print(f"{made} entries written to {args.out}, {skipped} left out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
