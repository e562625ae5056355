"""Fault localisation ranks the statements failing tests run and passing tests avoid."""

from __future__ import annotations

import math

import pytest

from healloop.repair.localise import Elsewhere, line_scores, ochiai, pointing_elsewhere, rank
from healloop.repair.program import Program

SOURCE = """\
def classify(n):
    if n < 0:
        return "negative"
    if n == 0:
        return "zero"
    if n < 10:
        return "big"
    return "huge"
"""
# A spectrum for the bug on line 7 ("big" for small numbers): the two tests that
# reach it fail, the others pass.
COVERAGE = {
    "test_negative": [2, 3],
    "test_zero": [2, 4, 5],
    "test_small": [2, 4, 6, 7],
    "test_seven": [2, 4, 6, 7],
    "test_huge": [2, 4, 6, 8],
}
FAILING = {"test_small", "test_seven"}
PASSING = {"test_negative", "test_zero", "test_huge"}


@pytest.mark.parametrize(
    ("ef", "ep", "total", "expected"),
    [(2, 0, 2, 1.0), (2, 3, 2, 2 / math.sqrt(2 * 5)), (1, 1, 2, 1 / math.sqrt(4)),
     (0, 4, 2, 0.0), (1, 0, 0, 0.0)],
)
def test_ochiai_formula(ef: int, ep: int, total: int, expected: float) -> None:
    assert ochiai(ef, ep, total) == pytest.approx(expected)


def test_line_scores_on_a_known_spectrum() -> None:
    scores = line_scores(COVERAGE, FAILING, PASSING)
    assert scores[7] == pytest.approx(1.0)
    assert scores[6] == pytest.approx(2 / math.sqrt(2 * 3))
    assert scores[2] == pytest.approx(2 / math.sqrt(2 * 5))
    assert 3 not in scores and 8 not in scores  # no failing test ran them


def test_rank_puts_the_faulty_statement_first() -> None:
    program = Program(SOURCE)
    ranked = rank(program, line_scores(COVERAGE, FAILING, PASSING))
    assert [s.stmt.lineno for s in ranked[:4]] == [7, 6, 4, 2]
    assert ranked[0].score == pytest.approx(1.0)


def test_statements_no_failing_test_ran_come_last_but_are_kept() -> None:
    program = Program(SOURCE)
    ranked = rank(program, line_scores(COVERAGE, FAILING, PASSING))
    tail = {s.stmt.lineno for s in ranked[4:]}
    assert tail == {3, 5, 8}
    assert all(0 < s.score < ranked[3].score for s in ranked[4:])


def test_compound_statements_are_scored_by_their_header() -> None:
    source = "def f(xs):\n    for x in xs:\n        print(x)\n"
    ranked = rank(Program(source), {3: 1.0})
    assert ranked[0].stmt.lineno == 3
    assert ranked[1].score < 1.0  # the loop header itself was not blamed


def test_other_source_files_are_named_when_they_outrank_the_target() -> None:
    found = {
        "pkg/keys.py": (54, 0.85),  # the fault
        "pkg/cached.py": (1, 0.32),  # above the target, but far behind keys.py
        "pkg/util.py": (9, 0.2),  # below the target
        "tests/helpers.py": (3, 1.0),  # the failing tests' own code
        "tests/test_keys.py": (7, 1.0),
        "conftest.py": (2, 1.0),
        ".venv/lib/python3.11/site-packages/dep.py": (5, 1.0),
    }
    assert pointing_elsewhere(found, 0.29, lambda p: p.rsplit("/", 1)[-1].startswith("test_")) \
        == [Elsewhere("pkg/keys.py", 54, 0.85)]
    assert pointing_elsewhere(found, 0.9, lambda p: False) == []
    assert Elsewhere("pkg/keys.py", 54, 0.85).describe() == "pkg/keys.py line 54 (0.85)"
