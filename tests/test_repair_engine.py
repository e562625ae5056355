"""The repair engine heals failing tests, and leaves working code alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from healloop.context import RunContext
from healloop.engines import engines_for
from healloop.engines.base import GenerationJob
from healloop.engines.lint_fix import LintFixEngine
from healloop.engines.test_repair import TestRepairEngine
from healloop.repair.heal import heal
from healloop.sandbox import Limits, Workspace, run_tests
from healloop.state import ReviewReport, TestResult, TestRun

MODULE = """\
def last_index(items, x):
    \"\"\"Return the index of the last occurrence of x in items, or -1.\"\"\"
    for i in range(len(items) - 1, 0, -1):
        if items[i] == x:
            return i
    return -1
"""
TESTS = """\
from finder import last_index


def test_found_at_end():
    assert last_index([1, 2, 3], 3) == 2


def test_found_twice():
    assert last_index([4, 1, 4], 4) == 2


def test_missing():
    assert last_index([1, 2], 9) == -1


def test_found_at_start():
    assert last_index([7, 1, 2], 7) == 0
"""


def make_repo(root: Path, module: str = MODULE) -> Path:
    repo = root / "repo"
    repo.mkdir()
    (repo / "finder.py").write_text(module)
    (repo / "test_finder.py").write_text(TESTS)
    return repo


def job_for(repo: Path, run: TestRun | None, **context: float) -> GenerationJob:
    source = (repo / "finder.py").read_text()
    return GenerationJob(
        repo=repo, target="finder.py", source=source, original=source,
        review=ReviewReport(target="finder.py", tests=run), blast_radius=None, iteration=1,
        context=RunContext(engine="offline", **context),  # type: ignore[arg-type]
    )


def reviewed(repo: Path) -> TestRun:
    with Workspace(repo) as workspace:
        return run_tests(workspace, ["test_finder.py"])


@pytest.mark.slow
def test_failing_test_is_healed_with_a_small_edit(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    run = reviewed(repo)
    assert run.failing == {"test_finder.py::test_found_at_start"}

    proposals = TestRepairEngine().propose(job_for(repo, run, repair_seconds=60))

    assert len(proposals) == 1
    best = proposals[0]
    assert best.engine == "repair"
    assert best.summary == "line 3: `0` → `-1`"
    assert best.content == MODULE.replace("- 1, 0, -1)", "- 1, -1, -1)")
    assert "turns green: test_finder.py::test_found_at_start" in best.edits
    assert best.stats["fixed_tests"] == 1
    assert best.stats["tried"] >= 1 and best.stats["plausible"] >= 1
    assert (repo / "finder.py").read_text() == MODULE  # the user's tree is untouched
    with Workspace(repo) as workspace:
        (workspace.path / "finder.py").write_text(best.content)
        assert run_tests(workspace, ["test_finder.py"]).failing == set()


@pytest.mark.slow
def test_working_code_is_left_alone(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, MODULE.replace("- 1, 0, -1)", "- 1, -1, -1)"))
    run = reviewed(repo)
    assert run.failing == set()
    assert TestRepairEngine().propose(job_for(repo, run)) == []


@pytest.mark.slow
def test_a_later_round_on_a_version_that_passes_says_so_and_searches_nothing(
    tmp_path: Path,
) -> None:
    # Review's failures, on a candidate that fixed them (its score held below the
    # threshold by something else): there is nothing to repair, and no search failed.
    repo = make_repo(tmp_path)
    run = reviewed(repo)
    job = job_for(repo, run, repair_seconds=30)
    job.source = MODULE.replace("- 1, 0, -1)", "- 1, -1, -1)")
    assert TestRepairEngine().propose(job) == []
    assert job.notes == ["repair of finder.py skipped: its 1 failing test(s) pass on the "
                         "version it starts from"]


def test_no_tests_means_no_repair(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    assert TestRepairEngine().propose(job_for(repo, None)) == []
    assert TestRepairEngine().propose(job_for(repo, TestRun())) == []


def test_only_passing_tests_means_no_repair(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    run = TestRun(results=[TestResult(nodeid="test_finder.py::test_missing", outcome="passed")])
    assert TestRepairEngine().propose(job_for(repo, run)) == []


def test_source_that_does_not_parse_is_left_to_other_engines(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "def last_index(items, x:\n    return -1\n")
    run = TestRun(results=[TestResult(nodeid="test_finder.py::test_missing", outcome="error")])
    assert TestRepairEngine().propose(job_for(repo, run)) == []


@pytest.mark.slow
def test_an_unrepairable_failure_yields_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "def last_index(items, x):\n    return 'nope'\n")
    run = reviewed(repo)
    assert run.failing
    job = job_for(repo, run, repair_seconds=5)
    assert TestRepairEngine().propose(job) == []
    (note,) = job.notes  # a search that found nothing says so
    assert note.startswith("repair of finder.py: ") and "none made 4 failing test(s) pass" in note


@pytest.mark.slow
def test_a_search_that_found_nothing_names_the_file_the_failing_tests_point_at(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "helpers.py").write_text(
        "def normalise(name):\n    if not name:\n        return name\n    return name.upper()\n")
    (repo / "greet.py").write_text(
        "from helpers import normalise\n\n\ndef greet(name):\n"
        "    return 'hello ' + normalise(name)\n")
    (repo / "test_greet.py").write_text(
        "from greet import greet\n\n\ndef test_greet():\n    assert greet('Bob') == 'hello bob'\n"
        "\n\ndef test_nobody():\n    assert greet('') == 'hello '\n")
    with Workspace(repo) as workspace:
        run = run_tests(workspace, ["test_greet.py"])
    assert run.failing == {"test_greet.py::test_greet"}
    source = (repo / "greet.py").read_text()
    job = GenerationJob(
        repo=repo, target="greet.py", source=source, original=source,
        review=ReviewReport(target="greet.py", tests=run), blast_radius=None, iteration=1,
        context=RunContext(engine="offline", repair_seconds=5), targets=("greet.py",),
    )
    assert TestRepairEngine().propose(job) == []
    (note,) = job.notes
    assert note.endswith(
        "; the failing tests point elsewhere, at helpers.py line 4 (1.00), more than at any "
        "line of the target (0.71): to repair there, add --file helpers.py"), note
    # A file that is a target already gets its own repair: nothing to add.
    job.notes.clear()
    job.targets = ("greet.py", "helpers.py")
    job.source = source + "\n"  # not the search cached above
    assert TestRepairEngine().propose(job) == []
    assert job.notes[0].endswith("more than at any line of the target (0.71)"), job.notes


@pytest.mark.parametrize(("engine", "has_repair"), [("offline", True), ("auto", True),
                                                    ("llm", False)])
def test_offline_and_auto_runs_include_repair_after_ruff(engine: str, has_repair: bool) -> None:
    names = [e.name for e in engines_for(RunContext(engine=engine, api_key="k"))]  # type: ignore[arg-type]
    assert ("repair" in names) == has_repair
    if has_repair:
        assert names.index("repair") > names.index(LintFixEngine.name)


TABLE_TESTS = '''\
from finder import last_index

# Stored at import, as a table of handlers would be: a warm runner that rebinds
# last_index in the module keeps the old function here.
HANDLERS = {"last": last_index}


def test_the_table_agrees_with_the_module():
    assert HANDLERS["last"]([5, 6, 7], 5) == last_index([5, 6, 7], 5)
'''


@pytest.mark.slow
def test_a_fix_the_fast_runner_misjudges_is_checked_for_real(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / "test_table.py").write_text(TABLE_TESTS)
    with Workspace(repo) as workspace:
        run = run_tests(workspace, ["test_finder.py", "test_table.py"])
    assert run.failing == {"test_finder.py::test_found_at_start"}

    proposals = TestRepairEngine().propose(job_for(repo, run, repair_seconds=60))

    assert [p.content for p in proposals] == [MODULE.replace("- 1, 0, -1)", "- 1, -1, -1)")]


def test_a_target_reached_by_many_tests_reads_their_outcomes_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Reading the run's outcomes once per test took minutes on packaging's tens of
    # thousands of tests, before the search began and deaf to a stop signal.
    repo = make_repo(tmp_path)
    run = TestRun(results=[TestResult(nodeid=f"test_finder.py::test_{i}", outcome="passed")
                           for i in range(500)])
    reads = []
    ids = TestRun.ids
    monkeypatch.setattr(TestRun, "ids", lambda self, *outcomes: reads.append(outcomes)
                        or ids(self, *outcomes))
    source = (repo / "finder.py").read_text()
    repair = heal(repo, "finder.py", source, run, measured_on_source=True, limits=Limits(),
                  seconds=1.0)
    assert repair.patches == []
    assert len(reads) <= 2


@pytest.mark.slow
def test_tests_that_need_the_network_are_left_out_of_what_repair_must_fix(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (repo / "test_calc.py").write_text(
        "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\n"
        "def test_remote():\n    raise OSError(101, 'Network is unreachable')\n")
    with Workspace(repo) as workspace:
        run = run_tests(workspace, ["test_calc.py"])
    assert run.failing == {"test_calc.py::test_add", "test_calc.py::test_remote"}
    source = (repo / "calc.py").read_text()
    job = GenerationJob(
        repo=repo, target="calc.py", source=source, original=source,
        review=ReviewReport(target="calc.py", tests=run), blast_radius=None, iteration=1,
        context=RunContext(engine="offline", repair_seconds=30),
    )
    (best,) = TestRepairEngine().propose(job)[:1]
    assert best.summary == "line 2: `-` → `+`"  # a whole repair, not a partial one
    assert job.notes == ["repair of calc.py leaves out 1 failing test(s) that need a network "
                         "the sandbox does not give: test_calc.py::test_remote"]


ROUTES = """\
class Stop:
    def __init__(self, name, exits=()):
        self.name = name
        self.exits = list(exits)


def connected(origin, target):
    called_at = set()

    def travel(stop):
        if stop in called_at:
            return False
        elif stop is target:
            return True
        else:
            return any(travel(nxt) for nxt in stop.exits)

    return travel(origin)
"""
ROUTES_TESTS = """\
from routes import Stop, connected


def test_a_line():
    end = Stop("end")
    assert connected(Stop("a", [Stop("b", [end])]), end)


def test_apart():
    assert not connected(Stop("a"), Stop("b"))


def test_a_loop_on_the_way():
    end = Stop("end")
    first = Stop("first")
    loop = Stop("loop", [first])
    first.exits = [loop, Stop("side", [end])]
    assert connected(first, end)


def test_a_loop_without_the_target():
    first = Stop("first")
    second = Stop("second", [first])
    first.exits = [second]
    assert not connected(first, Stop("elsewhere"))
"""


@pytest.mark.slow
def test_a_search_that_never_marks_what_it_visited_marks_it(tmp_path: Path) -> None:
    # QuixBugs' depth_first_search: `nodesvisited` is checked but never filled.
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "routes.py").write_text(ROUTES)
    (repo / "test_routes.py").write_text(ROUTES_TESTS)
    with Workspace(repo) as workspace:
        run = run_tests(workspace, ["test_routes.py"])
    assert run.failing
    repair = heal(repo, "routes.py", ROUTES, run, measured_on_source=True, limits=Limits(),
                  seconds=60)
    assert repair.patches
    assert repair.patches[0].source == ROUTES.replace(
        "        else:\n            return any(",
        "        else:\n            called_at.add(stop)\n            return any(")
