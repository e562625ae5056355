"""Code that does not parse is mended with the small edit the parser's message asks for."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import invoke

from healloop.context import RunContext
from healloop.engines import engines_for
from healloop.engines.base import GenerationJob
from healloop.engines.syntax_fix import SyntaxFixEngine
from healloop.repair.syntax import mend
from healloop.state import ReviewReport

CASES = [
    # (name, broken, the first version that parses, what was done)
    ("colon", "def double(x)\n    return 2 * x\n",
     "def double(x):\n    return 2 * x\n", "line 1: added ':'"),
    ("colon-of-if", "def f(x):\n    if x > 1\n        return 1\n    return 0\n",
     "def f(x):\n    if x > 1:\n        return 1\n    return 0\n", "line 2: added ':'"),
    ("never-closed", "def f(x):\n    return max(x, (x + 1)  # most\n",
     "def f(x):\n    return max(x, (x + 1))  # most\n", "line 2: closed '('"),
    ("stray-bracket", "def f(x):\n    return x + 1)\n",
     "def f(x):\n    return x + 1\n", "line 2: removed a stray ')'"),
    ("wrong-bracket", "def f(x):\n    return [x, 2)\n",
     "def f(x):\n    return [x, 2]\n", "line 2: ')' → ']'"),
    ("comma", "def f(x):\n    return [1 2, 3]\n",
     "def f(x):\n    return [1, 2, 3]\n", "line 2: added ','"),
    ("dict-colon", "D = {'a' 1, 'b': 2}\n", "D = {'a': 1, 'b': 2}\n", "line 1: added ':'"),
    ("string", "def f():\n    return 'abc\n", "def f():\n    return 'abc'\n",
     "line 2: closed the string with '"),
    ("docstring", 'def f():\n    """Doc.\n    return 1\n',
     'def f():\n    """Doc."""\n    return 1\n', "line 2: closed the string on line 2"),
    ("assignment-as-test", "def f(x):\n    if x = 1:\n        return 1\n    return 0\n",
     "def f(x):\n    if x == 1:\n        return 1\n    return 0\n", "line 2: '=' → '=='"),
    ("indent", "def f(x):\n    y = 1\n      return y\n",
     "def f(x):\n    y = 1\n    return y\n", "line 3: indented as line 2"),
    ("empty-block", "def f(x):\n    if x:\n    return 0\n",
     "def f(x):\n    if x:\n        return 0\n", "line 3: indented the block"),
    ("keyword", "dfe f(x):\n    retrun x\n", "def f(x):\n    return x\n",
     "line 1: 'dfe' → 'def'; line 2: 'retrun' → 'return'"),
    ("for-in", "def f(xs):\n    for x xs:\n        print(x)\n",
     "def f(xs):\n    for x in xs:\n        print(x)\n", "line 2: added 'in'"),
    ("print-statement", 'def f():\n    print "hi"\n', 'def f():\n    print("hi")\n',
     "line 2: called print(...)"),
    ("dangling", "import os,\n", "import os\n", "line 1: removed a dangling ','"),
    ("equals-on-an-attribute", "def f(w):\n    if w.kind = 'body':\n        return 1\n",
     "def f(w):\n    if w.kind == 'body':\n        return 1\n", "line 2: '=' → '=='"),
    ("string-in-a-call", 'def f(path):\n    return find("name, path)\n',
     'def f(path):\n    return find("name", path)\n', 'line 2: closed the string with "'),
    ("names-side-by-side", "def f(items):\n    lo hi = 0, len(items)\n",
     "def f(items):\n    lo, hi = 0, len(items)\n", "line 2: added ','"),
    ("two-errors", "def f(x)\n    return [x, 1\n",
     "def f(x):\n    return [x, 1]\n", "line 1: added ':'; line 2: closed '['"),
]


@pytest.mark.parametrize(("broken", "mended", "said"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_the_parsers_complaint_is_mended_with_a_small_edit(
    broken: str, mended: str, said: str,
) -> None:
    first, *_ = mend(broken)
    assert (first.source, first.summary) == (mended, said)
    ast.parse(first.source)


def test_alternatives_all_parse_and_come_fewest_edits_first() -> None:
    found = mend("def f(x):\n    y = call(x,\n             2\n    return y\n")
    assert len(found) >= 2
    assert [len(m.steps) for m in found] == sorted(len(m.steps) for m in found)
    for m in found:
        ast.parse(m.source)


def test_code_that_parses_is_left_alone() -> None:
    assert mend("def f(x):\n    return x\n") == []
    # A warning of the compiler is no syntax error, even where warnings are errors.
    assert mend('x = "a" ("b")\n') == []


def job_for(source: str) -> GenerationJob:
    return GenerationJob(repo=Path("."), target="m.py", source=source, original=source,
                         review=ReviewReport(target="m.py"), blast_radius=None, iteration=1,
                         context=RunContext(engine="offline"))


def test_the_engine_proposes_what_parses_and_says_when_nothing_small_does() -> None:
    proposals = SyntaxFixEngine().propose(job_for("def double(x)\n    return 2 * x\n"))
    assert [(p.engine, p.summary) for p in proposals][0] == ("syntax", "line 1: added ':'")
    assert SyntaxFixEngine().propose(job_for("x = 1\n")) == []
    hopeless = job_for("def f(x):\n    return x\n$$$ ??? @@@ !!!\n")
    assert SyntaxFixEngine().propose(hopeless) == []
    assert hopeless.notes == ["syntax of m.py: no small edit mends line 3 (invalid syntax)"]


def test_offline_runs_mend_syntax_before_ruff_and_repair() -> None:
    names = [e.name for e in engines_for(RunContext(engine="offline"))]
    assert names.index("syntax") < names.index("ruff") < names.index("repair")


def healed_calc(make_repo, ops: str) -> tuple[Path, str]:
    """Heal calc/ops.py holding ops through the CLI, approving; return the repo, the output."""
    repo = make_repo({
        "calc/__init__.py": "",
        "calc/ops.py": ops,
        "tests/test_ops.py": ("from calc.ops import double\n\n\n"
                              "def test_double():\n    assert double(2) == 4\n"),
        "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
    })
    result = invoke("run", "--repo", repo, "--file", "calc/ops.py", "--engine", "offline",
                    "--yes", "--apply")
    assert result.exit_code == 0, result.output
    return repo, result.output


@pytest.mark.slow
def test_a_target_that_does_not_parse_is_healed_through_the_cli(make_repo) -> None:
    repo, _ = healed_calc(make_repo, "def double(x)\n    return 2 * x\n")
    assert (repo / "calc/ops.py").read_text() == "def double(x):\n    return 2 * x\n"


@pytest.mark.slow
def test_a_target_that_does_not_parse_and_then_fails_is_healed_in_two_rounds(
    make_repo,
) -> None:
    repo, output = healed_calc(make_repo, "def double(x)\n    return 2 * x + 1\n")
    # Round 1 makes the tests collect; round 2 repairs what they then find wrong.
    assert "round 2" in output
    assert (repo / "calc/ops.py").read_text() == "def double(x):\n    return 2 * x\n"
