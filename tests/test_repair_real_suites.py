"""Repair on suites as real projects write them (marshmallow's, for one): cases whose
ids come from the clock, which one collection cannot find under the id another gave."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from healloop.evaluation.score import broken_tests
from healloop.repair.heal import heal
from healloop.repair.runner import CandidateRunner
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
