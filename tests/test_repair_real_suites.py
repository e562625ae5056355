"""Repair on suites as real projects write them: cases whose ids come from the clock,
which one collection cannot find under the id another gave (marshmallow's), tests that
line tracing makes overrun (more-itertools' prime sieves), suites of hundreds of tests."""

from __future__ import annotations

import importlib
import time
from pathlib import Path

import pytest

from healloop.evaluation.score import broken_tests
from healloop.repair.heal import heal, traced_baseline
from healloop.repair.order import PASSING
from healloop.repair.runner import CandidateRunner, Check
from healloop.sandbox import Limits, Workspace, run_tests

MODULE = """\
def describe(value):
    if value == "":
        return "empty"
    return "value %s" % value
"""
TESTS = """\
import datetime as dt

import pytest

from describe import describe


@pytest.mark.parametrize("value", ["", "x", dt.datetime.now().strftime("%H:%M:%S.%f")])
def test_str(value):
    assert describe(value)


def test_number():
    assert describe(3) == "value 3"


def test_none():
    assert describe(None) == "empty"
"""


def _repo(root: Path) -> Path:
    repo = root / "repo"
    repo.mkdir()
    (repo / "describe.py").write_text(MODULE)
    (repo / "test_describe.py").write_text(TESTS)
    return repo


@pytest.mark.parametrize("mode", ["hot", "fresh"])
def test_a_case_id_from_an_earlier_collection_does_not_stop_the_repair_runner(tmp_path, mode):
    repo = _repo(tmp_path)
    with Workspace(repo) as workspace:
        tests = sorted(run_tests(workspace, ["test_describe.py"]).passed)
        time.sleep(0.01)  # the clock's case now has another id
        with CandidateRunner(workspace, "describe.py", tests, mode=mode) as runner:
            assert runner.ready
            check = runner.run(None, tests, timeout=5)
    stale = [t for t in tests if "[" in t and ":" in t.split("[", 1)[1]]
    assert len(stale) == 1
    assert all(check.outcomes[t] == "passed" for t in tests if t not in stale)


def test_a_case_whose_id_comes_from_the_clock_is_run_under_its_new_id(tmp_path):
    repo = _repo(tmp_path)
    with Workspace(repo) as workspace:
        first = run_tests(workspace, ["test_describe.py"])
        time.sleep(0.01)
        again = run_tests(workspace, sorted(first.passed))
    assert len(again.passed) == len(first.passed)
    assert again.passed != first.passed  # the clock's case has a new id
    assert broken_tests(first.passed, again) == []


@pytest.mark.slow
def test_repair_works_beside_cases_whose_ids_come_from_the_clock(tmp_path):
    repo = _repo(tmp_path)
    with Workspace(repo) as workspace:
        run = run_tests(workspace, ["test_describe.py"])
    assert run.failing == {"test_describe.py::test_none"}
    time.sleep(0.01)
    repair = heal(repo, "describe.py", MODULE, run, measured_on_source=True, limits=Limits(),
                  seconds=60)
    assert repair.patches, f"no patch after {repair.tried} tried"
    assert "None" in repair.patches[0].summary or "not" in repair.patches[0].summary


class _SlowUnderTrace:
    """A runner where one test overruns when traced, stopping the run (its child killed)."""

    def __init__(self, slow: str) -> None:
        self.slow = slow
        self.traced: list[str] = []

    def run(self, source, tests, *, timeout, trace=False, **_):
        outcomes, lines = {}, {}
        for i, test in enumerate(tests):
            if trace and test == self.slow:
                outcomes[test] = "timeout"
                outcomes.update(dict.fromkeys(tests[i + 1:], "not_run"))
                return Check(outcomes=outcomes, lines=lines, crashed=True)
            outcomes[test] = "failed" if test.endswith("bad") else "passed"
            if trace:
                self.traced.append(test)
                lines[test] = [1]
        return Check(outcomes=outcomes, lines=lines)


def test_a_test_tracing_makes_overrun_still_counts_and_the_rest_are_traced() -> None:
    tests = ["t.py::bad", *(f"t.py::ok{i}" for i in range(5))]
    runner = _SlowUnderTrace("t.py::ok1")
    check = traced_baseline(runner, "", tests, 1.0, failing_of=["t.py::bad"])
    assert check.outcomes == {"t.py::bad": "failed", **dict.fromkeys(tests[1:], "passed")}
    assert not check.crashed
    assert set(check.lines) == set(tests) - {"t.py::ok1"}


def test_only_the_passing_tests_localisation_needs_are_traced() -> None:
    tests = ["a.py::bad", *(f"b.py::ok{i}" for i in range(PASSING + 50)), "a.py::ok"]
    runner = _SlowUnderTrace("none")
    check = traced_baseline(runner, "", tests, 1.0, failing_of=["a.py::bad"])
    assert check.outcomes["a.py::bad"] == "failed"
    assert sum(o == "passed" for o in check.outcomes.values()) == PASSING + 51
    assert len(runner.traced) == PASSING + 1
    assert "a.py::ok" in runner.traced  # the failing test's own file first


def test_the_search_gets_a_share_of_the_budget_whatever_the_start_cost(tmp_path, monkeypatch):
    heal_module = importlib.import_module("healloop.repair.heal")
    repo = _repo(tmp_path)
    with Workspace(repo) as workspace:
        run = run_tests(workspace, ["test_describe.py"])
    budgets = []
    real_search = heal_module.search

    def spy(*args, **kwargs):
        budgets.append(args[5].seconds)
        return real_search(*args, **kwargs)

    monkeypatch.setattr(heal_module, "search", spy)
    monkeypatch.setattr(heal_module, "_reserve", lambda run: 1000.0)  # a suite's validation
    heal(repo, "describe.py", MODULE, run, measured_on_source=True, limits=Limits(), seconds=20)
    assert budgets and budgets[0] >= 5.0
