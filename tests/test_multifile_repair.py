"""Several targets failing the same tests: only the target the fault is in is repaired."""

from pathlib import Path

import pytest
from langgraph.types import Command
from test_multifile import paused

from healloop.context import RunContext
from healloop.repair.order import suspicion
from healloop.sandbox import Limits, Workspace, run_tests
from healloop.state import Evaluation

# The fault is in the package's __init__ (`>=` for `>`); the helper module fails the
# same test only because it goes through it, though a change there (a store of
# limit + 1) could also turn that test green.
STORE = {
    "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
    "pkg/__init__.py": (
        '"""A store of sized items."""\n\n\n'
        "class Store:\n"
        '    """Holds items no larger than its limit."""\n\n'
        "    def __init__(self, limit):\n"
        "        self.limit = limit\n"
        "        self.items = []\n\n"
        "    def add(self, item, size=1):\n"
        '        """Add item; refuse one larger than the limit."""\n'
        "        if size >= self.limit:\n"
        '            raise ValueError("item too large")\n'
        "        self.items.append(item)\n"
        "        return item\n"
    ),
    "pkg/fill.py": (
        '"""Build stores."""\n\n'
        "from pkg import Store\n\n\n"
        "def fill(limit, items):\n"
        '    """Return a store of limit holding items."""\n'
        "    store = Store(limit)\n"
        "    for item in items:\n"
        "        store.add(item)\n"
        "    return store\n"
    ),
    "tests/test_store.py": (
        "from pkg import Store\n\n\n"
        "def test_an_item_of_the_limits_size_fits():\n"
        '    assert Store(1).add("a") == "a"\n\n\n'
        "def test_a_new_store_is_empty():\n"
        "    assert Store(3).items == []\n"
    ),
    "tests/test_fill.py": (
        "from pkg.fill import fill\n\n\n"
        "def test_fill_to_the_limit():\n"
        '    assert fill(1, ["a"]).items == ["a"]\n\n\n'
        "def test_fill_with_nothing():\n"
        "    assert fill(2, []).items == []\n"
    ),
}
TARGETS = ["pkg/__init__.py", "pkg/fill.py"]


def test_localisation_over_several_targets_points_at_the_file_with_the_fault(make_repo):
    repo = make_repo(STORE)
    with Workspace(repo) as workspace:
        run = run_tests(workspace, ["tests"])
    assert run.failing == {"tests/test_store.py::test_an_item_of_the_limits_size_fits",
                           "tests/test_fill.py::test_fill_to_the_limit"}
    ranks = suspicion(repo, {t: (repo / t).read_text() for t in TARGETS}, run,
                      limits=Limits(), timeout=5.0)
    assert ranks["pkg/__init__.py"] > ranks["pkg/fill.py"] > 0


@pytest.mark.slow
def test_a_target_failing_only_through_another_is_not_repaired(make_repo, tmp_path: Path):
    repo = make_repo(STORE)
    checkpoints = tmp_path / "checkpoints.sqlite"
    context = RunContext(engine="offline", jobs=2, repair_seconds=20)
    with paused(repo, checkpoints, TARGETS, "shared-failures", context) as (graph, config, payload):
        notes = graph.get_state(config).values["notes"]
    assert [p.target for p in payload.proposals] == ["pkg/__init__.py"]
    assert "`>=` → `>`" in payload.proposals[0].summary
    # fill.py's repair never searched: neither in the first round, which waited for
    # the repair of __init__.py, nor in the next, where __init__.py's best is known.
    assert not any(n.startswith("repair of pkg/fill.py: ") for n in notes), notes
    skipped = [n for n in notes if n.startswith("repair of pkg/fill.py skipped: ")]
    assert any("pass with the repair of pkg/__init__.py" in n and "fault localisation" in n
               for n in skipped), notes
    assert any("pass with the best candidate of pkg/__init__.py" in n for n in skipped), notes


@pytest.mark.slow
def test_rejecting_the_fix_others_were_measured_with_measures_them_again(make_repo, tmp_path):
    # fill.py's lint fix clears the threshold only with __init__.py's repair alongside,
    # which makes the failing test pass: without it, it must not be offered as it was.
    fill = STORE["pkg/fill.py"].replace('"""Build stores."""\n', '"""Build stores."""\nimport os\n')
    repo = make_repo({**STORE, "pkg/fill.py": fill})
    context = RunContext(engine="offline", jobs=2, repair_seconds=20)
    checkpoints = tmp_path / "checkpoints.sqlite"
    with paused(repo, checkpoints, TARGETS, "remeasure", context) as (graph, config, payload):
        shown = {p.target: p.candidate_id for p in payload.proposals}
        assert set(shown) == set(TARGETS)
        result = graph.invoke(Command(resume={"action": "reject", "targets": ["pkg/__init__.py"]}),
                              config, context=context)
        values = graph.get_state(config).values
    assert result["status"] == "rejected"  # nothing left to ask about
    last = [Evaluation.model_validate(e) for e in values["evaluations"]
            if e["candidate_id"] == shown["pkg/fill.py"]][-1]
    assert shown["pkg/__init__.py"] not in last.alongside
    assert last.score < payload.threshold
    assert "tests/test_fill.py::test_fill_to_the_limit" in last.tests.failing
    assert "import os" in (repo / "pkg/fill.py").read_text()  # nothing was written


@pytest.mark.slow
def test_a_module_the_faulty_one_imports_is_measured_again_with_its_repair(make_repo, tmp_path):
    # sizes.py is imported by __init__.py, so it is measured first, before the repair
    # of __init__.py is known: its lint fix clears the threshold only with that repair.
    files = {
        **STORE,
        "pkg/__init__.py": STORE["pkg/__init__.py"].replace(
            '"""A store of sized items."""\n', '"""A store of sized items."""\n\n'
            "from pkg.sizes import unit\n").replace("size=1", "size=unit()"),
        "pkg/sizes.py": '"""Sizes."""\nimport os\n\n\ndef unit():\n    """Return 1."""\n'
                        "    return 1\n",
    }
    repo = make_repo(files)
    targets = ["pkg/__init__.py", "pkg/sizes.py"]
    context = RunContext(engine="offline", jobs=2, repair_seconds=20)
    checkpoints = tmp_path / "checkpoints.sqlite"
    with paused(repo, checkpoints, targets, "imported", context) as (_, _, payload):
        proposals = {p.target: p for p in payload.proposals}
    assert set(proposals) == set(targets)
    assert proposals["pkg/sizes.py"].score >= payload.threshold
    assert "-import os" in proposals["pkg/sizes.py"].diff


@pytest.mark.slow
def test_each_of_two_faults_failing_the_same_tests_is_repaired_with_the_other_alongside(
    make_repo, tmp_path,
):
    # Both modules are wrong: __init__.py refuses an item of the limit's size, and
    # fill.py builds a store one smaller than asked. The five tests the first fails
    # come before the one only the second fails, so a repair of fill.py that stops at
    # the first failure would see no edit of its own turn anything green.
    fill = STORE["pkg/fill.py"].replace("Store(limit)", "Store(limit - 1)")
    tests = "".join(f"def test_fits_{n}():\n    assert Store({n}).add('a', size={n}) == 'a'\n\n\n"
                    for n in range(1, 6))
    repo = make_repo({
        **STORE, "pkg/fill.py": fill,
        "tests/test_fill.py": "from pkg import Store\nfrom pkg.fill import fill\n\n\n" + tests
        + "def test_fill_makes_a_store_of_the_limit():\n    assert fill(3, []).limit == 3\n",
    })
    context = RunContext(engine="offline", jobs=2, repair_seconds=30)
    checkpoints = tmp_path / "checkpoints.sqlite"
    with paused(repo, checkpoints, TARGETS, "both", context) as (_, _, payload):
        proposals = {p.target: p for p in payload.proposals}
    assert set(proposals) == set(TARGETS), payload.without
    assert "`>=` → `>`" in proposals["pkg/__init__.py"].summary
    assert "+    store = Store(limit)" in proposals["pkg/fill.py"].diff
    # Each passes its tests only with the other's fix: approved alone, it would not.
    assert proposals["pkg/fill.py"].measured_with == ["pkg/__init__.py"]
    assert proposals["pkg/__init__.py"].measured_with == ["pkg/fill.py"]


def test_a_repair_whose_failures_the_fixes_alongside_settle_searches_nothing(make_repo):
    from healloop.engines.base import GenerationJob
    from healloop.engines.test_repair import TestRepairEngine
    from healloop.state import FileChange, ReviewReport

    repo = make_repo(STORE)
    with Workspace(repo) as workspace:
        run = run_tests(workspace, ["tests"])
    source = STORE["pkg/fill.py"]
    fixed = FileChange(path="pkg/__init__.py",
                       content=STORE["pkg/__init__.py"].replace("size >= ", "size > "))
    job = GenerationJob(repo=repo, target="pkg/fill.py", source=source, original=source,
                        review=ReviewReport(target="pkg/fill.py", tests=run), blast_radius=None,
                        iteration=1, context=RunContext(engine="offline"), alongside=[fixed])
    assert TestRepairEngine().propose(job) == []
    assert job.notes == ["repair of pkg/fill.py skipped: its 2 failing test(s) pass with the "
                         "fixes of pkg/__init__.py alongside"]


@pytest.mark.slow
def test_a_repair_whose_test_also_needs_another_targets_repair_searches_on_top_of_it(
        make_repo, tmp_path):
    # Both files have a fault. The test of full() goes through Store.add, so it fails
    # while __init__.py's fault is there, whatever fill.py holds: fill.py's repair
    # can make it pass only in a copy that has __init__.py's repair.
    files = {
        **STORE,
        "pkg/fill.py": STORE["pkg/fill.py"] + (
            "\n\ndef full(store):\n"
            '    """Return whether store holds as many items as its limit."""\n'
            "    return len(store.items) > store.limit\n"
        ),
        "tests/test_fill.py": STORE["tests/test_fill.py"].replace(
            "import fill\n", "import fill, full\n") + (
            "\n\ndef test_a_store_filled_to_the_limit_is_full():\n"
            '    assert full(fill(1, ["a"]))\n'
        ),
    }
    repo = make_repo(files)
    context = RunContext(engine="offline", jobs=2, repair_seconds=20)
    checkpoints = tmp_path / "checkpoints.sqlite"
    with paused(repo, checkpoints, TARGETS, "both-faults", context) as (_, _, payload):
        proposals = {p.target: p for p in payload.proposals}
    assert set(proposals) == set(TARGETS), [w.reason for w in payload.without]
    assert "-    return len(store.items) > store.limit" in proposals["pkg/fill.py"].diff
    assert "+    return len(store.items) >= store.limit" in proposals["pkg/fill.py"].diff
    assert proposals["pkg/fill.py"].score >= payload.threshold


@pytest.mark.slow
def test_a_fix_measured_before_the_other_targets_repair_is_measured_again_with_it(
        make_repo, tmp_path):
    # sizes.py is imported by __init__.py, so its candidates are measured first, with
    # __init__.py's fault still there. Its repair then fixes no test it is measured
    # on, and its lint fix alone scores higher; with __init__.py's repair alongside,
    # only the repair (with the lint fix) passes every test.
    files = {
        **STORE,
        "pkg/__init__.py": STORE["pkg/__init__.py"].replace(
            '"""A store of sized items."""\n', '"""A store of sized items."""\n\n'
            "from pkg.sizes import unit\n").replace("size=1", "size=unit()"),
        "pkg/sizes.py": (
            '"""Sizes."""\nimport os\n\n\n'
            'def unit():\n    """Return 1."""\n    return 1\n\n\n'
            "def fits(store, size):\n"
            '    """Return whether an item of size fits in store."""\n'
            "    return size < store.limit\n"
        ),
        "tests/test_sizes.py": (
            "from pkg import Store\nfrom pkg.sizes import fits\n\n\n"
            "def test_an_item_that_fits_can_be_added():\n"
            "    store = Store(1)\n"
            "    assert fits(store, 1)\n"
            '    assert store.add("a") == "a"\n'
        ),
    }
    repo = make_repo(files)
    targets = ["pkg/__init__.py", "pkg/sizes.py"]
    context = RunContext(engine="offline", jobs=2, repair_seconds=20)
    checkpoints = tmp_path / "checkpoints.sqlite"
    with paused(repo, checkpoints, targets, "measured-first", context) as (_, _, payload):
        proposals = {p.target: p for p in payload.proposals}
    assert set(proposals) == set(targets), [w.reason for w in payload.without]
    assert "+    return size <= store.limit" in proposals["pkg/sizes.py"].diff
    assert all(p.score >= payload.threshold for p in proposals.values())


def test_localisation_traces_the_failing_tests_and_a_bounded_few_passing_ones():
    from healloop.repair.order import PASSING, traced_tests
    from healloop.state import TestResult, TestRun

    results = [TestResult(nodeid=f"tests/test_a.py::test_fail_{n}", outcome="failed")
               for n in range(3)]
    results += [TestResult(nodeid=f"tests/test_a.py::test_pass_{n}", outcome="passed")
                for n in range(5)]
    results += [TestResult(nodeid=f"tests/test_b.py::test_{n:03}", outcome="passed")
                for n in range(300)]
    traced = traced_tests(TestRun(results=results))
    assert traced[:3] == [f"tests/test_a.py::test_fail_{n}" for n in range(3)]
    assert traced[3:8] == [f"tests/test_a.py::test_pass_{n}" for n in range(5)]
    assert len(traced) == 3 + PASSING


def test_a_repair_waiting_for_the_repairs_ahead_ends_when_healloop_stops(monkeypatch):
    import threading

    from healloop.repair.order import RepairOrder
    from healloop.sandbox import process

    stopping = threading.Event()
    monkeypatch.setattr(process, "_STOPPING", stopping)
    order = RepairOrder(failing={"a.py": frozenset({"t"}), "b.py": frozenset({"t"})},
                        suspicion={"a.py": 0.9, "b.py": 0.1})
    threading.Timer(0.2, stopping.set).start()  # a signal while b.py waits for a.py
    with pytest.raises(process.Interrupted):
        order.needless("b.py")
