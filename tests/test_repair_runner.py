"""The fork server runs the target's tests against candidate sources, safely and fast."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from healloop.repair.runner import CandidateRunner, WorkerError
from healloop.sandbox import Limits, Workspace

pytestmark = pytest.mark.slow

MODULE = """\
def clamp(x, lo, hi):
    if x < lo:
        return lo
    if x > hi:
        return lo
    return x
"""
FIXED = MODULE.replace("        return lo\n    return x", "        return hi\n    return x")
TESTS = """\
from clamp import clamp


def test_inside():
    assert clamp(5, 0, 10) == 5


def test_below():
    assert clamp(-1, 0, 10) == 0


def test_above():
    assert clamp(11, 0, 10) == 10
"""
INSIDE, BELOW, ABOVE = (f"test_clamp.py::test_{n}" for n in ("inside", "below", "above"))
ALL = [INSIDE, BELOW, ABOVE]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    repo: Path = tmp_path_factory.mktemp("repo")
    (repo / "clamp.py").write_text(MODULE)
    (repo / "test_clamp.py").write_text(TESTS)
    with Workspace(repo) as ws:
        yield ws


@pytest.fixture(scope="module")
def runner(workspace: Workspace) -> Iterator[CandidateRunner]:
    with CandidateRunner(workspace, "clamp.py", ALL, limits=Limits(test_timeout=5)) as r:
        yield r


def test_runner_collects_the_tests(runner: CandidateRunner) -> None:
    assert runner.ready
    assert runner.collected == set(ALL)


def test_outcomes_follow_the_candidate(runner: CandidateRunner) -> None:
    buggy = runner.run(MODULE, ALL, timeout=2)
    fixed = runner.run(FIXED, ALL, timeout=2)
    assert buggy.outcomes == {INSIDE: "passed", BELOW: "passed", ABOVE: "failed"}
    assert fixed.all_passed(ALL)


def test_names_imported_by_tests_see_the_candidate(runner: CandidateRunner) -> None:
    # test_clamp.py did `from clamp import clamp` once, at collection.
    renamed = FIXED.replace("def clamp(", "def clamp(*a):\n    return 7\n\n\ndef old(")
    assert runner.run(renamed, [INSIDE], timeout=2).outcomes == {INSIDE: "failed"}
    assert runner.run(FIXED, [INSIDE], timeout=2).outcomes == {INSIDE: "passed"}


def test_trace_records_the_lines_each_test_ran(runner: CandidateRunner) -> None:
    check = runner.run(MODULE, ALL, timeout=2, trace=True)
    assert set(check.lines[INSIDE]) == {2, 4, 6}
    assert set(check.lines[BELOW]) == {2, 3}
    assert set(check.lines[ABOVE]) == {2, 4, 5}


def test_a_looping_candidate_times_out_and_the_runner_goes_on(runner: CandidateRunner) -> None:
    looping = MODULE.replace("    if x < lo:", "    while True:\n        pass\n    if x < lo:")
    check = runner.run(looping, [INSIDE, BELOW], timeout=0.5)
    assert check.outcomes == {INSIDE: "timeout", BELOW: "timeout"}
    check = runner.run(looping, [INSIDE, BELOW], timeout=0.5, stop_on_timeout=True)
    assert check.outcomes == {INSIDE: "timeout", BELOW: "not_run"}
    assert runner.run(FIXED, [ABOVE], timeout=2).outcomes == {ABOVE: "passed"}


def test_a_candidate_that_kills_its_process_fails_its_test(runner: CandidateRunner) -> None:
    dying = MODULE.replace("    if x < lo:", "    import os\n    os._exit(3)\n    if x < lo:")
    check = runner.run(dying, [INSIDE, BELOW], timeout=2)
    assert check.outcomes[INSIDE] == "error"
    assert check.outcomes[BELOW] == "not_run"
    assert check.crashed


def test_a_failed_test_says_where_in_its_file_it_failed(runner: CandidateRunner) -> None:
    check = runner.run(MODULE, ALL, timeout=2)
    assert check.failed_at == {ABOVE: (TESTS.splitlines().index(
        "    assert clamp(11, 0, 10) == 10") + 1, "AssertionError")}
    raising = MODULE.replace("        return lo\n    return x",
                             "        return 1 / 0\n    return x")
    assert runner.run(raising, [ABOVE], timeout=2).failed_at[ABOVE][1] == "ZeroDivisionError"
    assert runner.run(FIXED, ALL, timeout=2).failed_at == {}


def test_stop_on_fail_skips_the_rest(runner: CandidateRunner) -> None:
    check = runner.run(MODULE, [ABOVE, INSIDE], timeout=2, stop_on_fail=True)
    assert check.outcomes == {ABOVE: "failed", INSIDE: "not_run"}


def test_unknown_tests_are_reported_missing(runner: CandidateRunner) -> None:
    check = runner.run(FIXED, ["test_clamp.py::test_nothing"], timeout=2)
    assert check.outcomes == {"test_clamp.py::test_nothing": "missing"}


def test_fresh_mode_agrees_with_hot_mode(workspace: Workspace) -> None:
    with CandidateRunner(workspace, "clamp.py", ALL, mode="fresh") as fresh:
        buggy = fresh.run(MODULE, ALL, timeout=5, trace=True)
        fixed = fresh.run(FIXED, ALL, timeout=5)
    assert buggy.outcomes == {INSIDE: "passed", BELOW: "passed", ABOVE: "failed"}
    assert set(buggy.lines[ABOVE]) == {2, 4, 5}
    assert buggy.failed_at == hot_failed_at(workspace)
    assert fixed.all_passed(ALL)


def hot_failed_at(workspace: Workspace) -> dict[str, tuple[int, str]]:
    with CandidateRunner(workspace, "clamp.py", ALL) as hot:
        return hot.run(MODULE, ALL, timeout=5).failed_at


def test_a_candidate_that_kills_the_server_is_reported(workspace: Workspace) -> None:
    killer = MODULE.replace(
        "    if x < lo:", "    import os, signal\n    os.kill(os.getppid(), signal.SIGKILL)\n"
        "    if x < lo:",
    )
    with CandidateRunner(workspace, "clamp.py", ALL) as doomed:
        with pytest.raises(WorkerError):
            doomed.run(killer, [INSIDE], timeout=2)
        with pytest.raises(WorkerError):
            doomed.run(FIXED, [INSIDE], timeout=2)  # stays dead, says so


SHAPES = """\
import abc
import enum
from dataclasses import dataclass


class Shape(abc.ABC):
    sides = 0

    def __init__(self, side):
        self.side = side

    def perimeter(self):
        return self.side * (self.sides - 1)

    @property
    def label(self):
        return type(self).__name__.upper()

    @staticmethod
    def unit():
        return "cm"


class Polygon(Shape):
    def __init__(self, side):
        super().__init__(side)
        self.closed = False


@dataclass
class Point:
    x: int
    y: int

    def norm1(self):
        return abs(self.x) - abs(self.y)


def double(x):
    return x + x + 1


class Counter:
    def bump(self, n):
        return n


class Colour(enum.Enum):
    RED = 1

    def hex(self):
        return "#f00f"
"""
SHAPES_FIXED = (SHAPES.replace("(self.sides - 1)", "self.sides")
                .replace(".upper()", ".lower()").replace('"cm"', '"mm"')
                .replace("self.closed = False", "self.closed = True")
                .replace("abs(self.x) - abs", "abs(self.x) + abs")
                .replace('"#f00f"', '"#f00"').replace("x + x + 1", "x + x")
                .replace("return n\n", "return n + 1\n"))
SQUARE = """\
from shapes import Colour, Counter, Point, Polygon, double

OPERATIONS = {"double": double}
BUMP = Counter().bump


class Square(Polygon):
    sides = 4


UNIT = Square(1)
ORIGIN = Point(3, 4)
"""
SHAPE_TESTS = """\
from shapes import Colour
from square import ORIGIN, UNIT, Square


def test_perimeter():
    assert Square(2).perimeter() == 8


def test_closed():
    assert Square(2).closed


def test_label():
    assert UNIT.label == "square"


def test_unit():
    assert Square.unit() == "mm"


def test_norm():
    assert ORIGIN.norm1() == 7


def test_colour():
    assert Colour.RED.hex() == "#f00"


def test_registered():
    from square import BUMP, OPERATIONS

    assert OPERATIONS["double"](2) == 4 and BUMP(1) == 2
"""


def test_a_fix_to_a_class_reaches_subclasses_and_instances_made_at_import(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    for name, text in (("shapes.py", SHAPES), ("square.py", SQUARE),
                       ("test_shapes.py", SHAPE_TESTS)):
        (repo / name).write_text(text)
    tests = [f"test_shapes.py::test_{n}"
             for n in ("perimeter", "closed", "label", "unit", "norm", "colour", "registered")]
    with Workspace(repo) as workspace:
        for mode in ("hot", "fresh"):
            with CandidateRunner(workspace, "shapes.py", tests, mode=mode) as runner:
                assert runner.run(SHAPES, tests, timeout=5).outcomes == dict.fromkeys(
                    tests, "failed"), mode
                # Subclasses in other modules, instances made at import, super() in a
                # method, properties, static methods, dataclasses, and a function or a
                # bound method kept in a table at import see the fix; an enum cannot
                # be copied into and is replaced, as any class was before.
                fixed = runner.run(SHAPES_FIXED, tests, timeout=5).outcomes
                assert fixed == dict.fromkeys(tests, "passed"), (mode, fixed)
                assert runner.run(SHAPES, tests, timeout=5).outcomes == dict.fromkeys(
                    tests, "failed"), mode
