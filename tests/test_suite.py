"""The repository's test suite as its pytest configuration defines it, and tests that
pytest could not collect: never selected when outside the suite, never clean when not run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import write_repo

from healloop.analysis.blast import analyse
from healloop.analysis.pytest_config import suite_config
from healloop.analysis.tests_for import tests_for as reaching
from healloop.context import RunContext
from healloop.nodes.evaluate import evaluate
from healloop.nodes.review import review, review_target
from healloop.reports.markdown import render_review
from healloop.reports.sarif import sarif_log
from healloop.sandbox import Limits, Workspace, addopts, run_tests
from healloop.state import Candidate, Evaluation, FileChange, Request, TestRun

TARGET = "pkg/core.py"
CORE = "def double(x):\n    return 2 * x\n"
SUITE = {
    "pkg/__init__.py": "",
    TARGET: CORE,
    "tests/test_core.py": (
        "from pkg.core import double\n\n\n"
        "def test_double():\n    assert double(2) == 4\n\n\n"
        "def test_zero():\n    assert double(0) == 0\n"
    ),
    # An example project beside the package: its own tests, for its own installed app.
    "examples/shop/tests/conftest.py": "from shop_example import app  # noqa: F401\n",
    "examples/shop/tests/test_shop.py": (
        "from pkg.core import double\n\n\ndef test_shop():\n    assert double(1) == 2\n"
    ),
    "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["."]\n',
}
CTX = RunContext(engine="offline", test_timeout=10, run_timeout=60)


@pytest.fixture(autouse=True)
def _quick_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    # Third-party pytest plugins of our own environment only slow the inner runs down.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


# ---------------------------------------------------------------------------
# Which test files are the suite


def test_test_files_outside_testpaths_are_not_selected(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", SUITE)
    assert reaching(repo, TARGET) == ["tests/test_core.py"]
    radius = analyse(repo, TARGET, history=False)
    assert radius.tests == ["tests/test_core.py"]
    assert all(not t.startswith("examples/") for t in radius.test_functions)
    assert any("examples/shop/tests/test_shop.py" in n and "testpaths tests" in n
               for n in radius.notes), radius.notes


def test_an_example_projects_tests_do_not_count_as_testing_the_target(tmp_path: Path) -> None:
    files = {
        **SUITE,
        TARGET: CORE + "\n\ndef triple(x):\n    return 3 * x\n",
        "pkg/app.py": "from pkg.core import double, triple\n\nSIX = double(3) + triple(2)\n",
        "examples/shop/tests/test_shop.py": (
            "from pkg.core import triple\n\n\ndef test_shop():\n    assert triple(1) == 3\n"
        ),
    }
    radius = analyse(write_repo(tmp_path / "repo", files), TARGET, history=False)
    # triple is read by the example's tests only: the suite never runs it.
    assert radius.risk_parts["untested"] == 0.5


def reviewed(tmp_path: Path, files: dict[str, str]):
    """Review TARGET in a repository of these files, as the loop's review node does."""
    return review_target(write_repo(tmp_path / "repo", files), TARGET, CTX)


@pytest.mark.slow
def test_review_runs_the_suite_and_not_the_examples_whose_conftest_fails(
    tmp_path: Path,
) -> None:
    done = reviewed(tmp_path, SUITE)
    tests = done.report.tests
    assert tests is not None and not tests.uncollected, tests.errors
    assert tests.passed == {"tests/test_core.py::test_double", "tests/test_core.py::test_zero"}
    term = next(t for t in done.baseline.terms if t.name == "tests")
    assert (term.value, term.detail) == (1.0, "2/2 pass")


def test_without_testpaths_every_test_file_reaching_the_target_is_selected(
    tmp_path: Path,
) -> None:
    files = {**SUITE, "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n'}
    repo = write_repo(tmp_path / "repo", files, git=False)
    assert reaching(repo, TARGET) == ["examples/shop/tests/test_shop.py", "tests/test_core.py"]


@pytest.mark.parametrize(("name", "text"), [
    ("pytest.ini", "[pytest]\ntestpaths = tests\n"),
    ("pytest.ini", "[other]\n"),  # pytest.ini is pytest's whatever it holds
    ("tox.ini", "[tox]\nenvlist = py3\n\n[pytest]\ntestpaths =\n    tests\n"),
    ("setup.cfg", "[metadata]\nname = pkg\n\n[tool:pytest]\ntestpaths = tests\n"),
    ("pyproject.toml", '[tool.pytest.ini_options]\ntestpaths = ["tes*"]\n'),
    ("pyproject.toml", '[tool.pytest]\ntestpaths = ["tests"]\n'),
    ("setup.cfg", "[tool:pytest]\nnorecursedirs = examples .*\n"),
    ("pyproject.toml", '[tool.pytest.ini_options]\naddopts = "-q --ignore=examples/shop"\n'),
    ("pyproject.toml", "[tool.pytest.ini_options]\naddopts = [\"--ignore-glob\", \"ex*\"]\n"),
])
def test_every_place_pytest_is_configured_decides_the_suite(
    tmp_path: Path, name: str, text: str,
) -> None:
    (tmp_path / "tests/unit").mkdir(parents=True)
    (tmp_path / name).write_text(text, encoding="utf-8")
    config = suite_config(tmp_path)
    assert config.contains("tests/unit/test_core.py")
    assert not config.contains("examples/shop/tests/test_shop.py") or text == "[other]\n"


def test_a_config_file_that_does_not_configure_pytest_is_passed_over(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tox.ini").write_text("[tox]\nenvlist = py3\n", encoding="utf-8")
    (tmp_path / "setup.cfg").write_text("[tool:pytest]\ntestpaths = tests\n", encoding="utf-8")
    config = suite_config(tmp_path)
    assert config.source == "setup.cfg"
    assert not config.contains("examples/shop/tests/test_shop.py")
    # A testpath that does not exist: pytest collects from the root instead.
    (tmp_path / "setup.cfg").write_text("[tool:pytest]\ntestpaths = nowhere\n", encoding="utf-8")
    assert suite_config(tmp_path).contains("examples/shop/tests/test_shop.py")


# A suite whose test modules are not named test_*.py: pytest's python_files says which are.
CHECKS = {
    "pkg/__init__.py": "",
    TARGET: CORE,
    "tests/check_core.py": (
        "from pkg.core import double\n\n\n"
        "def test_double():\n    assert double(2) == 4\n"
    ),
    # Named like a default test module, but only data here: pytest never collects it.
    "tests/test_data.py": "from pkg.core import double\n\nCASES = [double(1)]\n",
    "setup.cfg": "[tool:pytest]\npython_files = check_*.py\npythonpath = .\n",
}


def test_the_test_modules_are_the_files_python_files_names(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", CHECKS)
    radius = analyse(repo, TARGET, history=False)
    assert radius.tests == ["tests/check_core.py"]
    assert radius.test_functions == ["tests/check_core.py::test_double"]
    assert "tests/test_data.py" in {d.file for d in radius.dependents}


@pytest.mark.parametrize(("patterns", "tests", "others"), [
    ("", ["tests/test_core.py", "core_test.py"], ["tests/check_core.py"]),
    ("check_*.py *_tests.py", ["tests/check_core.py", "a/core_tests.py"],
     ["tests/test_core.py"]),
    ("tests/*/probe_*.py", ["tests/unit/probe_core.py", "x/tests/unit/probe_a.py"],
     ["probe_core.py", "tests/probe_core.py"]),
])
def test_python_files_patterns_match_as_pytest_matches_them(
    tmp_path: Path, patterns: str, tests: list[str], others: list[str],
) -> None:
    option = f"python_files = {patterns}\n" if patterns else ""
    (tmp_path / "pytest.ini").write_text(f"[pytest]\n{option}", encoding="utf-8")
    config = suite_config(tmp_path)
    assert [t for t in tests if config.is_test(t)] == tests
    assert [o for o in others if config.is_test(o)] == []


@pytest.mark.slow
def test_review_runs_the_tests_python_files_names(tmp_path: Path) -> None:
    done = reviewed(tmp_path, CHECKS)
    tests = done.report.tests
    assert tests is not None and tests.passed == {"tests/check_core.py::test_double"}


# ---------------------------------------------------------------------------
# Tests pytest could not collect


BROKEN = {
    **SUITE,
    "tests/test_more.py": (
        # a module of the project's that is not there: not an optional package
        "from pkg.core import double\nfrom pkg.missing_helper import half  # noqa: F401\n\n\n"
        "def test_more():\n    assert double(3) == 6\n"
    ),
}


@pytest.mark.slow
def test_a_test_file_that_does_not_collect_is_a_finding_and_not_scored_clean(
    tmp_path: Path,
) -> None:
    done = reviewed(tmp_path, BROKEN)
    tests = done.report.tests
    assert tests is not None
    # The file that imports runs all the same.
    assert tests.passed == {"tests/test_core.py::test_double", "tests/test_core.py::test_zero"}
    assert [(e.path, e.message) for e in tests.uncollected] == [
        ("tests/test_more.py", "ModuleNotFoundError: No module named 'pkg.missing_helper'")]
    finding = next(f for f in done.report.findings if f.rule == "tests/test_more.py")
    assert finding.severity == "error"
    assert "No module named 'pkg.missing_helper'" in finding.message
    term = next(t for t in done.baseline.terms if t.name == "tests")
    assert term.value < 0.5 and "could not collect tests/test_more.py" in term.detail
    assert done.baseline.score < 0.7
    assert "could not collect tests/test_more.py" in done.baseline.feedback
    markdown = render_review([done.report])
    assert "2 passed, 0 failing; **could not collect tests/test_more.py" in markdown
    invocation = sarif_log([done.report])["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert any(n["level"] == "error" and "missing_helper" in n["message"]["text"]
               for n in invocation["toolExecutionNotifications"])


def _beside_a_failing_conftest(tmp_path: Path, pyproject: str) -> tuple[TestRun, str]:
    """Run tests/test_core.py and a test under tests/api, whose conftest fails to import.

    Returns the run and the path of the scratch copy it ran in.
    """
    repo = write_repo(tmp_path / "repo", {
        **SUITE, "tests/conftest.py": "", "pyproject.toml": pyproject,
        "tests/api/conftest.py": "import missing_fixtures  # noqa: F401\n",
        "tests/api/test_api.py": "def test_api():\n    assert True\n",
    }, git=False)
    with Workspace(repo) as workspace:
        return run_tests(workspace, ["tests/api/test_api.py", "tests/test_core.py"],
                         limits=Limits(test_timeout=10, run_timeout=60)), str(workspace.path)


@pytest.mark.slow
def test_a_conftest_that_fails_as_pytest_starts_costs_only_its_own_folder(
    tmp_path: Path,
) -> None:
    run, scratch = _beside_a_failing_conftest(tmp_path, SUITE["pyproject.toml"])
    assert run.passed == {"tests/test_core.py::test_double", "tests/test_core.py::test_zero"}
    assert [(e.path, e.message) for e in run.uncollected] == [
        ("tests/api", "ModuleNotFoundError: No module named 'missing_fixtures'")]
    assert not run.collects("tests/api/test_api.py::test_api")
    assert run.selected == ["tests/api/test_api.py", "tests/test_core.py"]
    assert scratch not in " ".join(run.errors)


@pytest.mark.slow
def test_a_run_where_no_test_could_run_scores_the_tests_zero(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", {
        **SUITE, "conftest.py": "import missing_fixtures  # noqa: F401\n",
    })
    done = review_target(repo, TARGET, CTX)
    assert done.report.tests is not None and not done.report.tests.results
    term = next(t for t in done.baseline.terms if t.name == "tests")
    assert term.value == 0.0
    assert term.detail == "0/0 pass; no test could run: ModuleNotFoundError: No module named " \
                          "'missing_fixtures'"
    assert any(f.rule == "pytest" and "no test could run" in f.message
               for f in done.report.findings)


@pytest.mark.slow
def test_a_candidate_that_stops_a_test_file_collecting_is_a_regression(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo", {
        **SUITE, "tests/test_twice.py": (
            "from pkg.core import double\n\n\ndef test_twice():\n    assert double(5) == 10\n"
        ),
    })
    state = {"request": Request(repo=str(repo), files=[TARGET]).dump()}
    runtime = SimpleNamespace(context=CTX)
    state = {**state, **review({**state, "target": TARGET}, runtime)}
    renamed = CORE.replace("def double", "def twice")
    candidate = Candidate(id="c1", target=TARGET, engine="test", iteration=1,
                          changes=[FileChange(path=TARGET, content=renamed)])
    update = evaluate({**state, "iteration": 1, "candidates": [candidate.dump()]}, runtime)
    verdict = Evaluation.model_validate(update["evaluations"][0])
    gate = next(g for g in verdict.gates if g.name == "no_regression")
    assert verdict.score == 0.0 and not gate.passed
    assert "broke tests/test_core.py::test_double" in gate.detail
    assert "could not collect tests/test_core.py" in gate.detail
    assert "cannot import name 'double'" in gate.detail
    assert update["best"] == {}


@pytest.mark.slow
def test_a_run_whose_tests_do_not_collect_says_so_and_is_not_accepted(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from healloop.main import app

    repo = write_repo(tmp_path / "repo", {**BROKEN, TARGET: "import os\n\n\n" + CORE})
    result = CliRunner().invoke(app, ["run", "--repo", str(repo), "--file", TARGET,
                                      "--engine", "offline", "--iterations", "1", "--json"])
    data = json.loads(result.stdout.strip().splitlines()[-1])
    # The lint fix is real, but with a test file that does not import, nothing is clean.
    assert data["status"] == "no_improvement", result.output
    assert data["original_score"] < 0.7
    assert any("could not collect tests/test_more.py" in n for n in data["notes"]), data
    assert "could not collect tests/test_more.py" in result.stderr


@pytest.mark.slow
def test_a_failing_test_is_a_finding_at_the_targets_line_it_failed_on(tmp_path: Path) -> None:
    files = {
        **SUITE,
        TARGET: "def double(x):\n    if x < 0:\n        raise ValueError(x)\n    return 2 * x\n",
        "tests/test_core.py": (
            "from pkg.core import double\n\n\n"
            "def test_negative():\n    assert double(-1) == -2\n\n\n"
            "def test_wrong():\n    assert double(2) == 5\n"
        ),
    }
    findings = {f.rule: f for f in reviewed(tmp_path, files).report.findings
                if f.source == "pytest"}
    assert findings["tests/test_core.py::test_negative"].line == 3  # the raise
    assert findings["tests/test_core.py::test_wrong"].line == 1  # failed in the test itself
    assert findings["tests/test_core.py::test_wrong"].message == (
        "test failed: tests/test_core.py::test_wrong: assert 4 == 5")


@pytest.mark.slow
def test_a_test_file_a_conftest_ignores_is_not_run_though_it_reaches_the_target(
    tmp_path: Path,
) -> None:
    files = {
        **SUITE,
        # Needs a Python the suite does not run on: its conftest leaves it out.
        "tests/test_future.py": (
            "from pkg.core import double\n\n\n"
            "def test_future():\n    assert double(2) == 5\n"
        ),
        "tests/conftest.py": 'collect_ignore = ["test_future.py"]\n',
    }
    done = reviewed(tmp_path, files)
    tests = done.report.tests
    assert tests is not None and tests.failing == set(), tests.results
    assert tests.passed == {"tests/test_core.py::test_double", "tests/test_core.py::test_zero"}
    assert tests.ignored == ["tests/test_future.py"]
    assert any("tests/test_future.py" in n for n in done.report.notes), done.report.notes
    term = next(t for t in done.baseline.terms if t.name == "tests")
    assert term.value == 1.0


# ---------------------------------------------------------------------------
# Which Python runs the suite


def test_the_suite_runs_under_the_python_the_repository_or_the_user_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from healloop.sandbox.pytest_run import PYTHON_VAR, interpreter_for

    repo = write_repo(tmp_path / "repo", SUITE)
    monkeypatch.delenv(PYTHON_VAR, raising=False)
    active = tmp_path / "active"
    (active / "bin").mkdir(parents=True)
    (active / "bin" / "python").symlink_to(sys.executable)
    monkeypatch.setenv("VIRTUAL_ENV", str(active))
    assert interpreter_for(repo) == str(active / "bin" / "python")
    (repo / ".venv" / "bin").mkdir(parents=True)
    (repo / ".venv" / "bin" / "python").symlink_to(sys.executable)
    assert interpreter_for(repo) == str(repo / ".venv" / "bin" / "python")
    monkeypatch.setenv(PYTHON_VAR, str(active / "bin" / "python"))
    assert interpreter_for(repo) == str(active / "bin" / "python")


@pytest.mark.slow
def test_a_review_says_when_no_python_of_the_project_ran_its_tests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HEALLOOP_PYTHON", raising=False)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    notes = reviewed(tmp_path, SUITE).report.notes
    assert any("tests ran under the Python healloop runs on" in n and "HEALLOOP_PYTHON" in n
               for n in notes), notes


@pytest.mark.slow
def test_a_project_python_without_pytest_is_said_in_one_line_with_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import subprocess

    from healloop.nodes.approve import approval_request

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    monkeypatch.setenv("HEALLOOP_PYTHON", str(python))
    repo = write_repo(tmp_path / "repo", SUITE)
    done = review_target(repo, TARGET, CTX)
    assert done.report.tests is not None
    said = (f"no test could run: pytest is not installed for {python}: install it there "
            f"({python} -m pip install pytest), or name a Python that has it with "
            "HEALLOOP_PYTHON")
    assert done.report.tests.uncollected_text() == said
    # The run ends with nothing to propose, and says why on the target's line.
    state = {"request": Request(repo=str(repo), files=[TARGET]).dump(),
             "review": {TARGET: done.report.dump()}, "baseline": {TARGET: done.baseline.dump()},
             "originals": {TARGET: CORE}, "iteration": 1}
    (without,) = approval_request(state).without
    assert without.reason == said


@pytest.mark.slow
def test_tests_the_suites_options_deselect_are_not_run_and_the_review_says_so(
    tmp_path: Path,
) -> None:
    files = {
        **SUITE,
        "tests/test_core.py": (
            "import pytest\n\nfrom pkg.core import double\n\n\n"
            "def test_double():\n    assert double(2) == 4\n\n\n"
            "@pytest.mark.slow\ndef test_many():\n    assert double(9) == 99\n"
        ),
        "pyproject.toml": (
            '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["."]\n'
            'addopts = "-m \'not slow\'"\nmarkers = ["slow"]\n'
        ),
    }
    done = reviewed(tmp_path, files)
    tests = done.report.tests
    assert tests is not None and tests.passed == {"tests/test_core.py::test_double"}
    assert tests.failing == set() and tests.deselected == 1
    assert any("1 test(s) deselected by the suite's own options" in n
               for n in done.report.notes), done.report.notes


# ---------------------------------------------------------------------------
# A suite that runs the examples in docstrings (--doctest-modules)

MATHX = '''"""Maths."""


def clamp(value, low, high):
    """Limit value to [low, high].

    >>> clamp(5, 0, 3)
    3
    """
    if value > high:
        return value
    return value
'''
DOCTESTED = {
    "pkg/__init__.py": "",
    "pkg/mathx.py": MATHX,
    "pkg/uses.py": ('from pkg.mathx import clamp\n\n\ndef top(v):\n    """Cap at 3.\n\n'
                    '    >>> top(9)\n    3\n    """\n    return clamp(v, 0, 3)\n'),
    "pkg/plain.py": "from pkg.mathx import clamp  # noqa: F401\n",
    "tests/test_mathx.py": ("from pkg.mathx import clamp\n\n\n"
                            "def test_inside():\n    assert clamp(1, 0, 3) == 1\n"),
    "pyproject.toml": ('[tool.pytest.ini_options]\naddopts = "--doctest-modules"\n'
                       'pythonpath = ["."]\n'),
}


@pytest.mark.parametrize(("options", "selected"), [
    ('addopts = "--doctest-modules"', ["pkg/mathx.py", "pkg/uses.py", "tests/test_mathx.py"]),
    # testpaths leave the package out: pytest run alone never collects its docstrings.
    ('addopts = "--doctest-modules"\ntestpaths = ["tests"]', ["tests/test_mathx.py"]),
    # Without the option, docstrings are documentation.
    ('addopts = "-q"', ["tests/test_mathx.py"]),
], ids=["doctest-modules", "outside-testpaths", "no-option"])
def test_with_doctest_modules_the_modules_with_examples_test_what_they_import(
    tmp_path: Path, options: str, selected: list[str],
) -> None:
    pyproject = f'[tool.pytest.ini_options]\n{options}\npythonpath = ["."]\n'
    repo = write_repo(tmp_path / "repo", {**DOCTESTED, "pyproject.toml": pyproject}, git=False)
    assert reaching(repo, "pkg/mathx.py") == selected
    assert analyse(repo, "pkg/mathx.py", history=False).tests == selected


@pytest.mark.slow
def test_a_failing_example_in_the_targets_docstring_is_found_and_repaired(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from healloop.main import app

    repo = write_repo(tmp_path / "repo", DOCTESTED)
    done = review_target(repo, "pkg/mathx.py", CTX)
    assert done.report.tests is not None
    assert done.report.tests.failing == {"pkg/mathx.py::pkg.mathx.clamp",
                                         "pkg/uses.py::pkg.uses.top"}
    result = CliRunner().invoke(app, ["run", "--repo", str(repo), "--file", "pkg/mathx.py",
                                      "--engine", "offline", "--yes", "--apply", "--json"])
    assert result.exit_code == 0, result.output
    assert "        return high\n" in (repo / "pkg/mathx.py").read_text(), result.output
    (healed,) = json.loads(result.stdout.strip().splitlines()[-1])["targets"]
    # The fast runner sees the fix in the target's own examples too, not only in those
    # of a module calling it: they run in a copy of its names taken at collection.
    assert healed["summary"] == "line 11: `value` → `high`"


# ---------------------------------------------------------------------------
# Flaky tests

FLAKY = (
    "from pathlib import Path\n\nfrom pkg.core import double\n\n\n"
    "def test_flaky():\n"
    "    marker = Path(__file__).with_name('ran-once')\n"
    "    first = not marker.exists()\n"
    "    marker.write_text('')\n"
    "    assert not first and double(1) == 2\n\n\n"
    "def test_wrong():\n    assert double(3) == 7\n"
)


@pytest.mark.slow
def test_a_test_that_fails_then_passes_on_the_same_code_is_flaky_not_failing(
    tmp_path: Path,
) -> None:
    repo = write_repo(tmp_path / "repo", {**SUITE, "tests/test_flaky.py": FLAKY})
    done = review_target(repo, TARGET, CTX)
    tests = done.report.tests
    assert tests is not None
    assert tests.flaky == ["tests/test_flaky.py::test_flaky"]
    # Only the test that fails every time is a failure to repair.
    assert tests.failing == {"tests/test_flaky.py::test_wrong"}
    assert any(n.startswith("flaky, counted as passed: tests/test_flaky.py::test_flaky")
               for n in done.report.notes), done.report.notes
    # A candidate's run where it flakes again breaks nothing.
    state = {"request": Request(repo=str(repo), files=[TARGET]).dump(),
             "review": {TARGET: done.report.dump()}, "baseline": {TARGET: done.baseline.dump()},
             "originals": {TARGET: CORE}, "iteration": 1}
    candidate = Candidate(id="c1", target=TARGET, engine="test", iteration=1,
                          changes=[FileChange(path=TARGET, content=CORE + "\n")])
    update = evaluate({**state, "candidates": [candidate.dump()]},
                      SimpleNamespace(context=CTX))
    evaluation = Evaluation.model_validate(update["evaluations"][0])
    assert evaluation.passed_gates, evaluation.gates
    assert evaluation.tests is not None
    assert evaluation.tests.flaky == ["tests/test_flaky.py::test_flaky"]


# ---------------------------------------------------------------------------
# Tests that fail outside the project's code

OUTSIDE = (
    "import subprocess\n\nfrom pkg.core import double\n\n\n"
    "def test_cli():\n"  # the project's command, which this environment does not install
    "    out = subprocess.check_output(['healloop-test-no-such-command', '2'])\n"
    "    assert out == b'4'\n\n\n"
    "def test_own_file():\n"  # the test's own open(): a path the code under test built
    "    open(f'missing-{double(2)}.txt')\n\n\n"
    "def test_project_raises():\n"  # the project's code is on the way: its failure
    "    import pkg.files\n    pkg.files.read()\n\n\n"
    "def test_version():\n"  # the project is not installed, so it has no metadata
    "    import pkg.files\n    assert pkg.files.version()\n"
)


@pytest.mark.slow
def test_a_test_failing_outside_the_project_is_left_out_and_said(tmp_path: Path) -> None:
    files = {**SUITE, "tests/test_outside.py": OUTSIDE,
             "pkg/files.py": ("import importlib.metadata\n\n\n"
                              "def read():\n    return open('no-such-file.txt').read()\n\n\n"
                              "def version():\n"
                              "    return importlib.metadata.version('healloop-test-no-dist')\n")}
    repo = write_repo(tmp_path / "repo", files)
    done = review_target(repo, TARGET, CTX)
    tests = done.report.tests
    assert tests is not None
    assert tests.outside == ["tests/test_outside.py::test_cli",
                             "tests/test_outside.py::test_version"]
    assert tests.failing == {"tests/test_outside.py::test_own_file",
                             "tests/test_outside.py::test_project_raises"}
    (note,) = [n for n in done.report.notes if n.startswith("left out")]
    assert "tests/test_outside.py::test_cli (FileNotFoundError: " in note
    assert "healloop-test-no-such-command" in note
    # Counted for no version: the tests term reads the tests that can tell them apart.
    (term,) = [t for t in done.baseline.terms if t.name == "tests"]
    assert term.detail == "2/4 pass"


@pytest.mark.slow
def test_a_candidate_that_breaks_a_test_outside_the_project_is_blamed(tmp_path: Path) -> None:
    core = f"COMMAND = {sys.executable!r}\n"
    test = ("import subprocess\n\nfrom pkg.core import COMMAND\n\n\n"
            "def test_runs():\n    subprocess.run([COMMAND, '-c', 'pass'], check=True)\n")
    repo = write_repo(tmp_path / "repo", {**SUITE, TARGET: core, "tests/test_core.py": test})
    done = review_target(repo, TARGET, CTX)
    assert done.report.tests is not None and done.report.tests.passed == {
        "tests/test_core.py::test_runs"}
    state = {"request": Request(repo=str(repo), files=[TARGET]).dump(),
             "review": {TARGET: done.report.dump()}, "baseline": {TARGET: done.baseline.dump()},
             "originals": {TARGET: core}, "iteration": 1}
    # The test now fails outside the project's code, as it would where the command is
    # missing: but it passed before, so the candidate broke it.
    broken = "COMMAND = 'healloop-test-no-such-command'\n"
    candidate = Candidate(id="c1", target=TARGET, engine="test", iteration=1,
                          changes=[FileChange(path=TARGET, content=broken)])
    update = evaluate({**state, "candidates": [candidate.dump()]},
                      SimpleNamespace(context=CTX))
    evaluation = Evaluation.model_validate(update["evaluations"][0])
    assert evaluation.tests is not None
    (result,) = evaluation.tests.results
    assert result.outside.startswith("FileNotFoundError: ")
    assert evaluation.tests.outside == []
    assert not evaluation.passed_gates


@pytest.mark.slow
def test_a_bug_is_healed_beside_a_test_that_fails_outside_the_project(tmp_path: Path) -> None:
    # glom's flatten(levels=...), one level too many, beside its CLI's test, which needs
    # glom installed as a command: no proposal before (the CLI's test held every score
    # under the threshold, and repair searched for an edit that made it pass too).
    core = ("def nest(x, levels):\n"
            "    spec = (x,)\n"
            "    spec += ('lazy',) * levels\n"
            "    return spec\n")
    tests = ("import subprocess\n\nfrom pkg.core import nest\n\n\n"
             "def test_nest():\n    assert nest(1, 2) == (1, 'lazy')\n\n\n"
             "def test_once():\n    assert nest(1, 1) == (1,)\n\n\n"
             "def test_cli():\n"
             "    assert subprocess.check_output(['healloop-test-no-such-command']) == b''\n")
    from typer.testing import CliRunner

    from healloop.main import app

    repo = write_repo(tmp_path / "repo", {**SUITE, TARGET: core, "tests/test_core.py": tests})
    result = CliRunner().invoke(app, ["run", "--repo", str(repo), "--file", TARGET,
                                      "--engine", "offline", "--yes", "--apply", "--json"])
    assert result.exit_code == 0, result.output
    assert "    spec += ('lazy',) * (levels - 1)\n" in (repo / TARGET).read_text(), result.output


# Tests that fail on what the environment lacks, in code the change does not reach
LEGACY = (  # written for another Python: an API its standard library no longer has
    "import os\n\n\n"
    "def spec(f):\n    return os.healloop_test_getargspec(f)\n\n\n"
    "def load():\n    from collections import HealloopTestMapping\n    return HealloopTestMapping\n"
)
LACKING = (
    "import os\n\nimport pkg.core\nimport pkg.legacy\n\n\n"
    "def test_spec():\n    assert pkg.legacy.spec(pkg.core.double)\n\n\n"
    "def test_load():\n    assert pkg.legacy.load()\n\n\n"
    # the target is on the way: its failure, whatever raised it
    "def test_through_target():\n    assert pkg.core.described()\n\n\n"
    # a name the project's own module lacks: its fault
    "def test_own_module():\n    assert pkg.core.healloop_test_missing\n\n\n"
    # the test's own call of an API the environment lacks: no change makes it pass
    "def test_own_call():\n    assert os.healloop_test_getargspec(pkg.core.double)\n\n\n"
    # what is lacking is what the target sets (when its patch() is called): its failure
    "def test_patched():\n    assert os.healloop_test_patched\n"
)
DESCRIBED = CORE + (
    "\n\ndef described():\n    import pkg.legacy\n\n    return pkg.legacy.spec(double)\n"
    "\n\ndef patch():\n    import os\n\n    os.healloop_test_patched = True\n"
)


@pytest.mark.slow
def test_a_test_failing_on_what_the_environment_lacks_elsewhere_is_left_out(
    tmp_path: Path,
) -> None:
    files = {**SUITE, TARGET: DESCRIBED, "pkg/legacy.py": LEGACY, "tests/test_legacy.py": LACKING}
    done = review_target(write_repo(tmp_path / "repo", files), TARGET, CTX)
    tests = done.report.tests
    assert tests is not None
    assert tests.outside == ["tests/test_legacy.py::test_load",
                             "tests/test_legacy.py::test_own_call",
                             "tests/test_legacy.py::test_spec"]
    assert tests.failing == {"tests/test_legacy.py::test_through_target",
                             "tests/test_legacy.py::test_own_module",
                             "tests/test_legacy.py::test_patched"}
    why = {r.nodeid: r.outside for r in tests.results}
    assert why["tests/test_legacy.py::test_spec"] == (
        "AttributeError: module 'os' has no attribute 'healloop_test_getargspec' "
        "(in pkg/legacy.py, which the change does not reach)")
    assert why["tests/test_legacy.py::test_load"].startswith(
        "ImportError: cannot import name 'HealloopTestMapping' from 'collections'")
    (note,) = [n for n in done.report.notes if n.startswith("left out")]
    assert "tests/test_legacy.py::test_load (ImportError: " in note


@pytest.mark.slow
def test_a_bug_is_healed_beside_tests_failing_on_what_the_environment_lacks(
    tmp_path: Path,
) -> None:
    # toolz's get([], seq) beside its 2014 functoolz, which asks Python 3.11 for
    # inspect.getargspec in 14 tests: no version could clear the threshold before.
    core = ("def nest(x, levels):\n"
            "    spec = (x,)\n"
            "    spec += ('lazy',) * levels\n"
            "    return spec\n")
    tests = ("import pkg.legacy\nfrom pkg.core import nest\n\n\n"
             "def test_nest():\n    assert nest(1, 2) == (1, 'lazy')\n\n\n"
             "def test_once():\n    assert nest(1, 1) == (1,)\n\n\n"
             "def test_spec():\n    assert pkg.legacy.spec(nest)\n")
    from typer.testing import CliRunner

    from healloop.main import app

    repo = write_repo(tmp_path / "repo", {**SUITE, TARGET: core, "pkg/legacy.py": LEGACY,
                                          "tests/test_core.py": tests})
    result = CliRunner().invoke(app, ["run", "--repo", str(repo), "--file", TARGET,
                                      "--engine", "offline", "--yes", "--apply", "--json"])
    assert result.exit_code == 0, result.output
    assert "    spec += ('lazy',) * (levels - 1)\n" in (repo / TARGET).read_text(), result.output


# Test files that cannot be collected, whatever the project's sources say
UNCOLLECTABLE = {
    # an optional package the environment lacks
    "tests/test_props.py": ("import healloop_test_no_such_package\n\n"
                            "from pkg.core import double\n\n\n"
                            "def test_prop():\n    assert double(1) == 2\n"),
    # a data folder a checkout lacks (a git submodule not checked out)
    "tests/test_data.py": ("from pkg.core import double\n\n"
                           "CASES = open('tests/data/cases.txt').read().split()\n\n\n"
                           "def test_case():\n    assert double(len(CASES))\n"),
    # the project's own module is missing: its fault
    "tests/test_helpers.py": ("from pkg.core import double\nfrom pkg.helpers import half\n\n\n"
                              "def test_half():\n    assert half(double(1)) == 1\n"),
    # the project imports a package the environment lacks, in a module the change to
    # pkg/core.py does not reach; counted when the change is to that module
    "tests/test_extra.py": ("from pkg.core import double\nfrom pkg.extra import triple\n\n\n"
                            "def test_triple():\n    assert triple(double(1)) == 6\n"),
    "pkg/extra.py": "import healloop_test_no_such_package\n\n\ndef triple(x):\n    return 3 * x\n",
    # the project asks at import for what its Python lacks, where the change does not reach
    "tests/test_oldstyle.py": ("from pkg.core import double\nfrom pkg.oldstyle import SPEC\n\n\n"
                               "def test_spec():\n    assert SPEC(double)\n"),
    "pkg/oldstyle.py": "import os\n\nSPEC = os.healloop_test_getargspec\n",
    # the test file's own code, written for Python 2: no change of the project's helps
    "tests/test_py2.py": ("from pkg.core import double\n\nDATA = range(10) * 10\n\n\n"
                          "def test_data():\n    assert double(len(DATA))\n"),
    "tests/test_print.py": ('from pkg.core import double\n\nprint "double"\n\n\n'
                            "def test_print():\n    assert double(1)\n"),
    # its own module-level code fails on what the project returns: counted
    "tests/test_cases.py": ("from pkg.core import double\n\nCASES = double('x') - 1\n\n\n"
                            "def test_cases():\n    assert CASES\n"),
    # a name the project does not define: its fault
    "tests/test_names.py": ("from pkg.core import quadruple\n\n\n"
                            "def test_quadruple():\n    assert quadruple(1) == 4\n"),
}


@pytest.mark.slow
def test_a_test_file_that_cannot_collect_outside_the_project_is_left_out_and_said(
    tmp_path: Path,
) -> None:
    repo = write_repo(tmp_path / "repo", {**SUITE, **UNCOLLECTABLE})
    done = review_target(repo, TARGET, CTX)
    tests = done.report.tests
    assert tests is not None
    assert tests.outside == ["tests/test_data.py", "tests/test_extra.py",
                             "tests/test_oldstyle.py", "tests/test_print.py",
                             "tests/test_props.py", "tests/test_py2.py"]
    assert {e.path for e in tests.uncollected} == {
        "tests/test_cases.py", "tests/test_helpers.py", "tests/test_names.py"}
    (note,) = [n for n in done.report.notes if n.startswith("left out")]
    assert "tests/test_data.py (FileNotFoundError: " in note
    why = {r.nodeid: r.outside for r in tests.results}
    assert why["tests/test_props.py"].startswith("ModuleNotFoundError: No module named ")
    assert why["tests/test_py2.py"] == ("TypeError: unsupported operand type(s) for *: "
                                        "'range' and 'int' (in tests/test_py2.py's own code)")
    assert why["tests/test_print.py"].startswith("SyntaxError: ")
    assert why["tests/test_oldstyle.py"] == (
        "AttributeError: module 'os' has no attribute 'healloop_test_getargspec' "
        "(in pkg/oldstyle.py, which the change does not reach)")
    # The module that imports the missing package is the change: its failure counts.
    tests = review_target(repo, "pkg/extra.py", CTX).report.tests
    assert tests is not None
    assert "tests/test_extra.py" in {e.path for e in tests.uncollected}
    # A test file healed itself: its own code is the change, and its failure counts.
    tests = review_target(repo, "tests/test_py2.py", CTX).report.tests
    assert tests is not None
    assert "tests/test_py2.py" in {e.path for e in tests.uncollected}


@pytest.mark.slow
def test_a_fix_beside_a_test_file_needing_a_missing_package_clears_the_threshold(
    tmp_path: Path,
) -> None:
    # No proposal before: the test file that imports hypothesis where it is not
    # installed counted as a failing test in every version, so no score reached 0.7.
    from typer.testing import CliRunner

    from healloop.main import app

    repo = write_repo(tmp_path / "repo", {
        **SUITE, TARGET: "def double(x):\n    return x + 2\n",
        "tests/test_props.py": UNCOLLECTABLE["tests/test_props.py"]})
    result = CliRunner().invoke(app, ["run", "--repo", str(repo), "--file", TARGET,
                                      "--engine", "offline", "--yes", "--apply", "--json"])
    assert result.exit_code == 0, result.output
    assert (repo / TARGET).read_text() == "def double(x):\n    return x * 2\n", result.output


# addopts that name options of plugins the Python running the tests lacks
PLUGIN_ADDOPTS = (SUITE["pyproject.toml"]
                  + 'addopts = "--healloop-no-such-cov=pkg --healloop-no-such-workers auto '
                  '-k double"\n')


@pytest.mark.parametrize(("words", "said", "kept", "out"), [
    ("--cov=pkg -n auto -x", "--cov=pkg -n", "-x", "--cov=pkg -n auto"),
    ("--cov pkg --cov-report term-missing --strict-markers", "--cov --cov-report",
     "--strict-markers", "--cov pkg --cov-report term-missing"),
    ("--reruns 3 -ra", "--reruns", "-ra", "--reruns 3"),
    ("--no-cov -q", "--no-cov", "-q", "--no-cov"),
])
def test_unknown_addopts_leave_with_the_value_pytest_took_for_a_path(
    words: str, said: str, kept: str, out: str,
) -> None:
    output = f"ERROR: usage: pytest [options]\npytest: error: unrecognized arguments: {said}\n"
    unknown = addopts.unknown(output)
    assert unknown == said.split()
    assert addopts.split(words.split(), unknown) == (kept.split(), out.split())
    assert addopts.override(words.split(), unknown) == ["-o", f"addopts={kept}"]
    assert addopts.override(words.split(), []) == []


@pytest.mark.slow
def test_addopts_of_a_plugin_that_is_not_installed_are_left_out_and_the_rest_kept(
    tmp_path: Path,
) -> None:
    # pytest stopped on them before any test (exit status 4): nothing could be measured.
    done = reviewed(tmp_path, {**SUITE, "pyproject.toml": PLUGIN_ADDOPTS})
    tests = done.report.tests
    assert tests is not None and not tests.uncollected
    assert tests.passed == {"tests/test_core.py::test_double"}  # -k double still holds
    assert tests.dropped_options == ["--healloop-no-such-cov=pkg",
                                     "--healloop-no-such-workers", "auto"]
    assert any(n.startswith("tests ran without --healloop-no-such-cov=pkg ")
               for n in done.report.notes)


@pytest.mark.slow
def test_a_bug_is_healed_where_addopts_name_a_plugin_that_is_not_installed(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from healloop.main import app

    repo = write_repo(tmp_path / "repo", {
        **SUITE, "pyproject.toml": PLUGIN_ADDOPTS.replace(" -k double", ""),
        TARGET: "def double(x):\n    return x + 2\n"})
    result = CliRunner().invoke(app, ["run", "--repo", str(repo), "--file", TARGET,
                                      "--engine", "offline", "--yes", "--apply", "--json"])
    assert result.exit_code == 0, result.output
    assert (repo / TARGET).read_text() == "def double(x):\n    return x * 2\n", result.output


# A stand-in for pytest-xdist: its controller runs no test in its own process.
FAKE_XDIST = (
    "def pytest_addoption(parser):\n"
    "    parser.addoption('-n', dest='numprocesses')\n\n\n"
    "def pytest_runtestloop(session):\n"
    "    return True  # the workers run the tests; this process reports none of them\n"
)


@pytest.mark.slow
def test_a_distributing_plugin_the_suite_loads_is_kept_out_of_healloops_runs(
    tmp_path: Path,
) -> None:
    # Before, the run had no result and no error: the tests term was left out and the
    # original, whose test fails, scored 1.0.
    done = reviewed(tmp_path, {
        **SUITE, "xdist.py": FAKE_XDIST, "conftest.py": "pytest_plugins = ['xdist']\n",
        "pyproject.toml": SUITE["pyproject.toml"] + 'addopts = "-n auto"\n',
        TARGET: "def double(x):\n    return x + 2\n"})
    tests = done.report.tests
    assert tests is not None
    assert tests.failing == {"tests/test_core.py::test_zero"}
    assert tests.dropped_options == ["-n", "auto"]
    assert done.baseline.score < 0.7


@pytest.mark.slow
def test_a_run_whose_tests_pass_where_healloop_does_not_see_them_is_not_clean(
    tmp_path: Path,
) -> None:
    # A distributing plugin healloop does not know by name: pytest ends with exit
    # status 0 and the results plugin heard of no test. It used to score the failing
    # original 1.0, its tests term left out as if no test reached the target.
    done = reviewed(tmp_path, {
        **SUITE, "spread.py": FAKE_XDIST.replace("'-n'", "'--spread'"),
        "conftest.py": "pytest_plugins = ['spread']\n",
        TARGET: "def double(x):\n    return x + 2\n"})
    tests = done.report.tests
    assert tests is not None and not tests.results
    (whole,) = tests.uncollected
    assert whole.path == "" and "where healloop does not see them" in whole.message
    assert done.baseline.score < 0.7


@pytest.mark.slow
def test_a_test_that_needs_the_network_is_left_out_of_the_score_and_said(
    tmp_path: Path,
) -> None:
    # It fails in every sandboxed run, whatever the sources say: counted, it held
    # every candidate of requests under the threshold.
    remote = ("from pkg.core import double\n\n\n"
              "def test_remote():\n    double(1)\n"
              "    raise OSError(101, 'Network is unreachable')\n")
    done = reviewed(tmp_path, {**SUITE, "tests/test_remote.py": remote})
    tests = done.report.tests
    assert tests is not None
    assert tests.outside == ["tests/test_remote.py::test_remote"]
    (note,) = [n for n in done.report.notes if n.startswith("left out")]
    assert "tests/test_remote.py::test_remote (the network, which the sandbox does not give)" \
        in note
    assert done.baseline.score >= 0.7


@pytest.mark.slow
def test_the_tests_beyond_a_failing_conftest_run_without_the_unknown_addopts_too(
    tmp_path: Path,
) -> None:
    run, _ = _beside_a_failing_conftest(tmp_path, PLUGIN_ADDOPTS.replace(" -k double", ""))
    assert run.passed == {"tests/test_core.py::test_double", "tests/test_core.py::test_zero"}
    assert run.dropped_options == ["--healloop-no-such-cov=pkg",
                                   "--healloop-no-such-workers", "auto"]
