"""The score's terms and gates, each on its own."""

import pytest

from healloop.evaluation.score import (
    Measurement,
    broken_tests,
    changed_lines,
    complexity_term,
    diff_term,
    lint_term,
    score,
)
from healloop.evaluation.score import (
    tests_term as score_tests,
)
from healloop.state import Finding, Metrics, TestResult, TestRun


def run_of(**outcomes: str) -> TestRun:
    return TestRun(results=[TestResult(nodeid=k, outcome=v) for k, v in outcomes.items()])


def finding(severity: str = "warning") -> Finding:
    return Finding(file="m.py", rule="F401", source="ruff", severity=severity, message="x")


def test_all_tests_passing_scores_full_score_tests():
    assert score_tests(run_of(a="passed", b="passed")).value == 1.0


def test_any_failing_test_halves_the_pass_fraction():
    assert score_tests(run_of(a="passed", b="failed")).value == pytest.approx(0.25)


def test_no_tests_leaves_the_tests_term_out():
    assert score_tests(None) is None
    assert score_tests(run_of(a="skipped")) is None


@pytest.mark.parametrize(
    ("findings", "code_lines", "expected"),
    [([], 10, 1.0), ([finding()], 10, 0.8), ([finding("error")] * 2, 10, 0.0),
     ([finding()] * 5, 400, 0.75)],
)
def test_lint_term_charges_findings_against_an_allowance(findings, code_lines, expected):
    assert lint_term(findings, Metrics(code_lines=code_lines)).value == pytest.approx(expected)


@pytest.mark.parametrize(("cc", "expected"), [(3, 1.0), (10, 1.0), (20, 0.5), (30, 0.0), (50, 0.0)])
def test_complexity_term_falls_from_10_to_30(cc, expected):
    assert complexity_term(Metrics(max_complexity=cc)).value == pytest.approx(expected)


@pytest.mark.parametrize(("changed", "lines", "expected"), [(0, 100, 1.0), (5, 100, 0.9),
                                                             (5, 4, 0.5), (80, 100, 0.0)])
def test_diff_term_prefers_small_changes(changed, lines, expected):
    assert diff_term(changed, lines).value == pytest.approx(expected)


def test_changed_lines_counts_removed_and_added_lines():
    assert changed_lines("a\nb\nc\n", "a\nB\nc\n") == 2


def measured(**overrides) -> Measurement:
    base = {"parses": True, "findings": [], "metrics": Metrics(code_lines=20, max_complexity=2),
            "tests": run_of(a="passed", b="passed"), "passed_before": {"a", "b"},
            "changed_lines": 1, "original_lines": 20}
    return Measurement(**{**base, **overrides})


def test_a_clean_small_fix_scores_near_one():
    value, gates, terms = score(measured())
    assert all(g.passed for g in gates)
    assert value == pytest.approx((0.6 + 0.2 + 0.1 + 0.1 * 0.9) / 1.0)
    assert {t.name for t in terms} == {"tests", "lint", "complexity", "diff"}


def test_any_failing_test_keeps_the_score_below_the_default_threshold():
    value, _, _ = score(measured(tests=run_of(a="passed", b="failed"), passed_before={"a"},
                                 changed_lines=0))
    assert value < 0.7


def test_breaking_a_test_that_passed_before_scores_zero_whatever_else():
    value, gates, _ = score(measured(tests=run_of(a="passed", b="failed")))
    assert value == 0.0
    assert [g.name for g in gates if not g.passed] == ["no_regression"]


def test_the_regression_gate_names_five_broken_tests_and_counts_the_rest():
    tests = {f"t{i}": "failed" for i in range(8)}
    _, gates, _ = score(measured(tests=run_of(**tests), passed_before=set(tests)))
    assert gates[1].detail == "broke t0, t1, t2, t3, t4 and 3 more"


def test_code_that_does_not_parse_scores_zero():
    value, gates, _ = score(measured(parses=False))
    assert value == 0.0
    assert not gates[0].passed


def test_removing_a_used_symbol_fails_the_api_gate():
    value, gates, _ = score(measured(api_breaks=["add removed but used by calc.report"]))
    assert value == 0.0
    assert "calc.report" in next(g.detail for g in gates if g.name == "api_compatible")


def test_without_tests_the_other_weights_are_renormalised():
    value, _, terms = score(measured(tests=None, passed_before=set(), changed_lines=0))
    assert "tests" not in {t.name for t in terms}
    assert value == pytest.approx(1.0)


def test_judge_is_an_extra_term_only_when_given():
    value, _, terms = score(measured(judge=0.0, changed_lines=0))
    assert "judge" in {t.name for t in terms}
    assert value == pytest.approx(1.0 / 1.1, abs=1e-3)


def run_with(*ids: str, failed: tuple[str, ...] = ()) -> TestRun:
    return TestRun(results=[TestResult(nodeid=t, outcome="passed") for t in ids]
                   + [TestResult(nodeid=t, outcome="failed") for t in failed])


def test_a_case_whose_id_changes_every_run_is_not_broken():
    before = {"t.py::test_now[22:35:08]", "t.py::test_now[11-25 22:35:08]", "t.py::test_a"}
    after = run_with("t.py::test_now[22:35:11]", "t.py::test_now[11-25 22:35:11]", "t.py::test_a")
    assert broken_tests(before, after) == []


def test_a_case_that_fails_or_is_gone_without_a_new_one_is_broken():
    before = {"t.py::test_x[1]", "t.py::test_x[2]", "t.py::test_y[a]", "t.py::test_z"}
    after = run_with("t.py::test_x[3]", failed=("t.py::test_x[2]",))
    # test_x[2] ran and failed; test_x[1] is paired with the new test_x[3]; test_y[a]
    # has no new case to pair with, and test_z is no case at all.
    assert broken_tests(before, after) == ["t.py::test_x[2]", "t.py::test_y[a]", "t.py::test_z"]
