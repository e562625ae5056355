"""The search tries likely edits first, never runs junk, and prefers small patches."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from healloop.repair.runner import CandidateRunner, Check
from healloop.repair.search import Budget, Outcome, Patch, _degenerate, _preference, search
from healloop.sandbox import Workspace

pytestmark = pytest.mark.slow

BSEARCH = """\
def bsearch(xs, target):
    lo, hi = 0, len(xs) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if xs[mid] == target:
            return mid
        if xs[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1
"""
BSEARCH_TESTS = """\
from bsearch import bsearch


def test_middle():
    assert bsearch([1, 3, 5, 7, 9], 5) == 2


def test_missing():
    assert bsearch([1, 3, 5], 4) == -1


def test_last():
    assert bsearch([1, 3, 5, 7], 7) == 3


def test_single():
    assert bsearch([4], 4) == 0
"""
TWO_BUGS = """\
def scale(x):
    return x * 3


def shift(x):
    return x + 2


def both(x):
    return shift(scale(x))
"""
TWO_BUGS_TESTS = """\
from units import both, scale, shift


def test_scale():
    assert scale(2) == 4


def test_shift():
    assert shift(5) == 3


def test_both():
    assert both(3) == 4
"""


class Recorder:
    """Runs candidates for real and remembers what it was asked to run."""

    def __init__(self, runner: CandidateRunner) -> None:
        self.runner = runner
        self.sources: list[str] = []

    def __call__(self, source: str, tests: list[str], stop_on_fail: bool) -> Check:
        self.sources.append(source)
        return self.runner.run(source, tests, timeout=1.0, stop_on_fail=stop_on_fail)


def project(root: Path, module: str, source: str, tests: str) -> Iterator[CandidateRunner]:
    root.mkdir()
    (root / module).write_text(source)
    (root / "test_it.py").write_text(tests)
    nodeids = [
        f"test_it.py::{n.name}" for n in ast.parse(tests).body if isinstance(n, ast.FunctionDef)
    ]
    with Workspace(root) as workspace, CandidateRunner(workspace, module, nodeids) as runner:
        yield runner


def run_search(
    runner: CandidateRunner, source: str, budget: Budget, *, where: bool = True
) -> tuple[Outcome, Recorder]:
    """Search as repair does; with where, knowing where each failing test fails."""
    tests = sorted(runner.collected)
    baseline = runner.run(source, tests, timeout=1.0, trace=True)
    failing = [t for t in tests if not baseline.passed(t)]
    passing = [t for t in tests if baseline.passed(t)]
    recorder = Recorder(runner)
    outcome = search(source, recorder, failing, passing, baseline.lines, budget,
                     failed_at=baseline.failed_at if where else None)
    return outcome, recorder


@pytest.fixture(scope="module")
def bsearch_runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CandidateRunner]:
    yield from project(tmp_path_factory.mktemp("b") / "repo", "bsearch.py", BSEARCH,
                       BSEARCH_TESTS)


def test_the_smallest_likeliest_patch_wins(bsearch_runner: CandidateRunner) -> None:
    outcome, _ = run_search(bsearch_runner, BSEARCH, Budget(seconds=60))
    assert outcome.plausible, "no plausible patch"
    assert outcome.plausible[0].summary == "line 3: `<` → `<=`"
    assert outcome.plausible[0].tokens == 1
    assert len(outcome.plausible) >= 2  # `len(xs) - 1` → `len(xs)` passes these tests too
    assert outcome.tried >= len(outcome.plausible)


def test_junk_and_duplicates_never_reach_the_tests(bsearch_runner: CandidateRunner) -> None:
    _, recorder = run_search(bsearch_runner, BSEARCH, Budget(seconds=60))
    trees = []
    for source in recorder.sources:
        tree = ast.dump(ast.parse(source))  # every candidate run parses
        trees.append(tree)
    distinct = set(trees)
    assert ast.dump(ast.parse(BSEARCH)) not in distinct
    # a candidate may be run twice (failing tests, then passing ones), never more
    assert all(trees.count(t) <= 2 for t in distinct)


def test_the_candidate_budget_is_respected(bsearch_runner: CandidateRunner) -> None:
    outcome, recorder = run_search(bsearch_runner, BSEARCH, Budget(max_candidates=3))
    assert outcome.tried == 3
    assert len({ast.dump(ast.parse(s)) for s in recorder.sources}) == 3


@pytest.fixture(scope="module")
def two_bug_runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CandidateRunner]:
    yield from project(tmp_path_factory.mktemp("t") / "repo", "units.py", TWO_BUGS,
                       TWO_BUGS_TESTS)


def test_two_edits_are_combined_when_each_fixes_part(two_bug_runner: CandidateRunner) -> None:
    outcome, _ = run_search(two_bug_runner, TWO_BUGS, Budget(seconds=60))
    assert outcome.partial, "single edits should each fix one test"
    best = outcome.plausible[0]
    assert len(best.edits) == 2
    assert best.source == TWO_BUGS.replace("x * 3", "x * 2").replace("x + 2", "x - 2")


THREE_BUGS = TWO_BUGS + "\n\ndef halve(x):\n    return x // 3\n"
THREE_BUGS_TESTS = (TWO_BUGS_TESTS.replace("import both,", "import both, halve,")
                    + "\n\ndef test_halve():\n    assert halve(8) == 4\n")


def test_partial_fixes_of_different_tests_are_tried_together(tmp_path: Path) -> None:
    # Three faults, each failing its own test: no single edit or pair fixes them all.
    for runner in project(tmp_path / "repo", "units.py", THREE_BUGS, THREE_BUGS_TESTS):
        outcome, _ = run_search(runner, THREE_BUGS, Budget(seconds=60))
    assert outcome.plausible, "the three partial fixes together fix every test"
    best = outcome.plausible[0]
    assert len(best.edits) == 3
    assert best.source == THREE_BUGS.replace("x * 3", "x * 2").replace(
        "x + 2", "x - 2").replace("x // 3", "x // 2")


PRICE = """\
def price(count, unit):
    total = count * unit
    if count > 10:
        total = total // 2
    return total + 1
"""
PRICE_FIXED = PRICE.replace("count > 10", "count >= 10").replace("total + 1", "total")
PRICE_TESTS = """\
from price import price


def test_price():
    assert price(2, 3) == 6
    assert price(10, 3) == 15
"""
"""Two faults and one test that checks both, one after the other: no single edit
fixes it, but the one for the first assertion gets it to the second."""


@pytest.fixture(scope="module")
def price_runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CandidateRunner]:
    yield from project(tmp_path_factory.mktemp("p") / "repo", "price.py", PRICE, PRICE_TESTS)


def test_an_edit_that_gets_a_test_further_is_built_on_at_once(
    price_runner: CandidateRunner,
) -> None:
    outcome, _ = run_search(price_runner, PRICE, Budget(max_candidates=40))
    assert outcome.plausible, "the second edit on top of the first should heal it"
    assert outcome.plausible[0].source == PRICE_FIXED
    # Without knowing where the test failed, the same budget ends among single edits.
    blind, _ = run_search(price_runner, PRICE, Budget(max_candidates=40), where=False)
    assert not blind.plausible


MOSTLY_SCALE_TESTS = "from units import scale, shift\n\n\n" + "".join(
    f"def test_{n}():\n    assert {call}\n\n\n"
    for n, call in enumerate(["scale(1) == 2", "scale(2) == 4", "scale(3) == 6",
                              "shift(5) == 3", "scale(4) == 8", "scale(5) == 10"], 1))
"""Six failing tests, the fourth failing for the other bug: more than a check stops at."""


def test_an_edit_that_fixes_some_is_credited_with_all_it_fixes(tmp_path: Path) -> None:
    for runner in project(tmp_path / "repo", "units.py", TWO_BUGS, MOSTLY_SCALE_TESTS):
        outcome, _ = run_search(runner, TWO_BUGS, Budget(seconds=60))
    scale = [p for p in outcome.partial if p.source == TWO_BUGS.replace("x * 3", "x * 2")]
    assert scale, "the edit of scale should fix part of the failing tests"
    assert len(scale[0].fixed) == 5  # not only the three before the one it leaves failing


CYCLE = """\
WHITE, GRAY, BLACK = 0, 1, 2


def has_cycle(graph):
    color = {node: WHITE for node in graph}

    def visit(node):
        color[node] = GRAY
        for nxt in graph.get(node, []):
            state = color.get(nxt, WHITE)
            if state == BLACK:
                return True
            if state == WHITE and visit(nxt):
                return True
        color[node] = BLACK
        return False

    return any(color[node] == WHITE and visit(node) for node in graph)
"""
CYCLE_TESTS = """\
from cycle import has_cycle


def test_empty():
    assert not has_cycle({})


def test_self_loop():
    assert has_cycle({"a": ["a"]})


def test_two_node_cycle():
    assert has_cycle({"a": ["b"], "b": ["a"]})


def test_chain():
    assert not has_cycle({"a": ["b"], "b": ["c"], "c": []})
"""


def test_a_patch_that_leaves_a_variable_unread_loses(tmp_path: Path) -> None:
    # Marking nodes BLACK on entry also passes these tests, but leaves GRAY unread.
    for runner in project(tmp_path / "repo", "cycle.py", CYCLE, CYCLE_TESTS):
        outcome, _ = run_search(runner, CYCLE, Budget(seconds=60))
        summaries = [p.summary for p in outcome.plausible]
        assert "line 8: `GRAY` → `BLACK`" in summaries
        assert outcome.plausible[0].summary == "line 11: `BLACK` → `GRAY`"
        assert outcome.plausible[0].orphans == 0


def test_a_search_ends_at_once_when_healloop_stops(
    bsearch_runner: CandidateRunner, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    from healloop.sandbox import process

    stopping = threading.Event()
    monkeypatch.setattr(process, "_STOPPING", stopping)
    tried = []

    def check(source: str, tests: list[str], stop_on_fail: bool) -> Check:
        tried.append(source)
        stopping.set()  # a signal arrives while the first edit is tried
        return bsearch_runner.run(source, tests, timeout=1.0, stop_on_fail=stop_on_fail)

    tests = sorted(bsearch_runner.collected)
    baseline = bsearch_runner.run(BSEARCH, tests, timeout=1.0, trace=True)
    failing = [t for t in tests if not baseline.passed(t)]
    with pytest.raises(process.Interrupted):
        search(BSEARCH, check, failing, [t for t in tests if t not in failing],
               baseline.lines, Budget(seconds=60))
    assert len(tried) <= 2  # the edit in flight (failing tests, then the rest), no other


CLOSURE = """\
def closure(nodes, edges):
    reach = {(a, b): (a, b) in edges or a == b for a in nodes for b in nodes}
    for k in nodes:
        for i in nodes:
            for j in nodes:
                reach[i, j] = reach[i, j] or (reach[i, k] and reach[j, k])
    return {pair for pair, yes in reach.items() if yes}
"""
CLOSURE_TESTS = """\
from closure import closure


def test_chain():
    assert (0, 2) in closure([0, 1, 2], {(0, 1), (1, 2)})


def test_one_way():
    assert closure([0, 1, 2], {(0, 1), (1, 2)}) == {
        (0, 0), (1, 1), (2, 2), (0, 1), (1, 2), (0, 2)}


def test_longer_chain():
    assert closure([0, 1, 2, 3], {(0, 1), (1, 2), (2, 3)}) >= {(0, 3), (1, 3), (0, 2)}


def test_apart():
    assert closure([0, 1], set()) == {(0, 0), (1, 1)}
"""


def test_the_elements_of_a_subscript_index_are_swapped(tmp_path: Path) -> None:
    # Warshall's closure reads reach[j, k] where the path goes on from k: reach[k, j].
    for runner in project(tmp_path / "repo", "closure.py", CLOSURE, CLOSURE_TESTS):
        outcome, _ = run_search(runner, CLOSURE, Budget(seconds=60))
        assert outcome.plausible, "no plausible patch"
        assert outcome.plausible[0].source == CLOSURE.replace("reach[j, k]", "reach[k, j]")


REACHABLE = """\
def reachable(steps, goal):
    if goal == 0:
        return True
    if goal < 0:
        return False
    first, *rest = steps
    return reachable(steps, goal - first) or reachable(rest, goal)
"""
REACHABLE_TESTS = """\
from reachable import reachable


def test_sum_of_two():
    assert reachable([3, 5], 8)


def test_nothing_to_do():
    assert reachable([], 0)


def test_too_far():
    assert not reachable([4], 6)


def test_no_steps():
    assert not reachable([], 2)
"""


def test_a_sequence_known_from_its_unpacking_is_checked_for_emptiness(tmp_path: Path) -> None:
    # `first, *rest = steps` fails on no steps: the guard above it must say `not steps`.
    for runner in project(tmp_path / "repo", "reachable.py", REACHABLE, REACHABLE_TESTS):
        outcome, _ = run_search(runner, REACHABLE, Budget(seconds=60))
        assert outcome.plausible, "no plausible patch"
        assert outcome.plausible[0].source in (
            REACHABLE.replace("if goal < 0:", "if goal < 0 or not steps:"),
            REACHABLE.replace("    if goal < 0:", "    if not steps:\n        return False\n"
                              "    if goal < 0:"),
        ), outcome.plausible[0].summary


LCS = """\
def lcs_length(a, b):
    if not a or not b:
        return 0
    if a[0] == b[0]:
        return 1 + lcs_length(a[1:], b)
    return max(lcs_length(a, b[1:]), lcs_length(a[1:], b))
"""
LCS_TESTS = """\
from lcs import lcs_length


def test_same():
    assert lcs_length('ab', 'ab') == 2


def test_none_shared():
    assert lcs_length('ab', 'cd') == 0


def test_gapped():
    assert lcs_length('axbyc', 'abc') == 3


def test_repeated():
    assert lcs_length('a', 'aaa') == 1


def test_repeated_first():
    assert lcs_length('aaa', 'a') == 1
"""


def test_a_name_becomes_an_expression_the_function_writes_on_it(tmp_path: Path) -> None:
    # Both strings move on after a match, as the line below moves b on: `b` → `b[1:]`.
    for runner in project(tmp_path / "repo", "lcs.py", LCS, LCS_TESTS):
        outcome, _ = run_search(runner, LCS, Budget(seconds=60))
        assert outcome.plausible, "no plausible patch"
        assert outcome.plausible[0].source == LCS.replace(
            "1 + lcs_length(a[1:], b)", "1 + lcs_length(a[1:], b[1:])")


COMBINATIONS = """\
def combinations(items, k):
    if k == 0:
        return []
    found = []
    for i, first in enumerate(items):
        found.extend([first] + rest for rest in combinations(items[i + 1:], k - 1))
    return found
"""
COMBINATIONS_TESTS = """\
from combos import combinations


def test_pairs():
    assert combinations([1, 2, 3], 2) == [[1, 2], [1, 3], [2, 3]]


def test_singles():
    assert combinations([1, 2], 1) == [[1], [2]]


def test_too_many():
    assert combinations([1], 2) == []
"""
SUBSETS = """\
def subsets(items):
    if not items:
        return [[]]
    first, rest = items[0], items[1:]
    smaller = subsets(rest)
    return [[first] + s for s in smaller]
"""
SUBSETS_TESTS = """\
from subsets import subsets


def test_none():
    assert subsets([]) == [[]]


def test_two():
    assert sorted(subsets([1, 2])) == [[], [1], [1, 2], [2]]


def test_three():
    assert len(subsets([1, 2, 3])) == 8
"""


def test_a_recursive_enumeration_starts_from_the_one_empty_combination(tmp_path: Path) -> None:
    for runner in project(tmp_path / "repo", "combos.py", COMBINATIONS, COMBINATIONS_TESTS):
        outcome, _ = run_search(runner, COMBINATIONS, Budget(seconds=60))
        assert outcome.plausible, "no plausible patch"
        assert outcome.plausible[0].source == COMBINATIONS.replace("return []", "return [[]]")


def test_a_recursive_enumeration_keeps_the_smaller_inputs_results(tmp_path: Path) -> None:
    for runner in project(tmp_path / "repo", "subsets.py", SUBSETS, SUBSETS_TESTS):
        outcome, _ = run_search(runner, SUBSETS, Budget(seconds=60))
        assert outcome.plausible, "no plausible patch"
        assert outcome.plausible[0].source == SUBSETS.replace(
            "return [[first] + s for s in smaller]",
            "return smaller + [[first] + s for s in smaller]")


def test_code_that_takes_the_same_expression_twice_is_degenerate() -> None:
    tree = ast.parse("f(a, a)\nf(a, b)\nx - x\nx * x\nlo < lo\na and a\nlo < hi <= hi\n")
    assert _degenerate(tree) == 5  # a square is no slip


def test_a_patch_making_a_call_degenerate_comes_after_one_that_does_not() -> None:
    shorter = Patch("search(end, end)", (), 0.5, tokens=1, degenerate=1)
    longer = Patch("search(mid + 1, end)", (), 0.4, tokens=2)
    assert sorted([shorter, longer], key=_preference) == [longer, shorter]


LOCATE = """\
def locate(keys, key, lo=0, hi=None):
    if hi is None:
        hi = len(keys)
    if lo == hi:
        return None
    mid = (lo + hi) // 2
    if keys[mid] == key:
        return mid
    if keys[mid] < key:
        return locate(keys, key, mid, hi)
    return locate(keys, key, lo, mid)
"""
LOCATE_TESTS = """\
from locate import locate


def test_in_the_middle():
    assert locate([1, 3, 5], 3) == 1


def test_on_the_left():
    assert locate([1, 3, 5, 7], 1) == 0


def test_missing_on_the_right():
    assert locate([1, 3], 9) is None


def test_missing_far_on_the_right():
    assert locate([-9, -8, -7, -6, -5, -4, -3, -2], 5) is None


def test_missing_on_the_left():
    assert locate([4, 6], 2) is None


def test_empty():
    assert locate([], 2) is None
"""


def test_a_fix_that_keeps_the_arguments_apart_beats_a_shorter_degenerate_one(
    tmp_path: Path,
) -> None:
    # `locate(keys, key, hi, hi)` passes these tests too, by returning None at once.
    # (So does `locate(keys, key, mid, lo)`, an empty range no syntax gives away.)
    for runner in project(tmp_path / "repo", "locate.py", LOCATE, LOCATE_TESTS):
        outcome, _ = run_search(runner, LOCATE, Budget(seconds=60))
        summaries = [p.summary for p in outcome.plausible]
        fix = summaries.index("line 10: `mid` → `mid + 1`")
        assert fix < summaries.index("line 10: `mid` → `hi`"), summaries
        assert fix < summaries.index("line 10: `hi` → `mid`"), summaries
        assert not outcome.plausible[0].degenerate


def test_a_test_broken_only_out_of_the_suites_order_is_asked_again_in_it() -> None:
    # test_walk fails whenever test_link ran before it (they share a linked node), as
    # when the search runs the tests that broke most candidates first.
    source = "def value():\n    return 1\n"

    def check(candidate: str, tests: list[str], stop_on_fail: bool) -> Check:
        returned = candidate.split("return ", 1)[1].split()[0]
        outcomes: dict[str, str] = {}
        for test in tests:
            if test == "test_fix":
                ok = returned != "1"
            elif test == "test_link":
                ok = returned != "0"
            else:
                ok = "test_link" not in outcomes
            outcomes[test] = "passed" if ok else "failed"
            if stop_on_fail and not ok:
                break
        return Check(outcomes={t: outcomes.get(t, "not_run") for t in tests})

    tests = ["test_fix", "test_walk", "test_link"]
    outcome = search(source, check, ["test_fix"], ["test_walk", "test_link"],
                     dict.fromkeys(tests, [2]), Budget(max_candidates=6))
    assert "def value():\n    return 2\n" in [p.source for p in outcome.plausible]
