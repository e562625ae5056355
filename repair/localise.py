"""Fault localisation: which statements failing tests run and passing tests do not.

Spectrum-based localisation ranks each statement by how strongly executing it goes
with failing: the Ochiai formula ef / sqrt(F * (ef + ep)), where ef and ep count the
failing and passing tests that executed it and F counts all failing tests. It is
among the best spectrum formulas on real bugs (Abreu et al. 2007; Pearson et al. 2017)
and needs nothing but per-test line coverage, which the worker records with
coverage.py's dynamic contexts.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from healloop.repair.program import Program


def ochiai(failed_cover: int, passed_cover: int, total_failed: int) -> float:
    """Return the Ochiai suspiciousness of an element."""
    if failed_cover == 0 or total_failed == 0:
        return 0.0
    return failed_cover / math.sqrt(total_failed * (failed_cover + passed_cover))


def line_scores(
    coverage: Mapping[str, list[int] | set[int]], failing: set[str], passing: set[str]
) -> dict[int, float]:
    """Return the Ochiai score of every line that some failing test executed."""
    failed_cover: dict[int, int] = {}
    passed_cover: dict[int, int] = {}
    for test, lines in coverage.items():
        counts = failed_cover if test in failing else passed_cover if test in passing else None
        if counts is None:
            continue
        for line in set(lines):
            counts[line] = counts.get(line, 0) + 1
    total = len(failing)
    return {
        line: ochiai(ef, passed_cover.get(line, 0), total) for line, ef in failed_cover.items()
    }


@dataclass(frozen=True)
class Suspect:
    """A statement and how suspicious it is."""

    stmt: ast.stmt
    score: float


def rank(program: Program, scores: Mapping[int, float], *, floor: float = 0.05) -> list[Suspect]:
    """Rank the program's statements by the score of their own lines, best first.

    Statements no failing test executed get a small floor score, so a bug that
    coverage cannot see (module constants, lines run at import) is still reachable,
    after everything the spectrum points at.
    """
    suspects = []
    for stmt in program.statements:
        score = max((scores.get(line, 0.0) for line in program.header_lines(stmt)), default=0.0)
        suspects.append(Suspect(stmt, score if score > 0 else floor))
    return sorted(suspects, key=lambda s: -s.score)  # stable: ties stay in source order


@dataclass(frozen=True)
class Elsewhere:
    """A line of another file that the failing tests point at more than at the target."""

    path: str
    line: int
    score: float

    def describe(self) -> str:
        """Say where, and how suspicious, in a few words."""
        return f"{self.path} line {self.line} ({self.score:.2f})"


_TEST_FOLDERS = {"test", "tests", "testing"}


def pointing_elsewhere(
    found: Mapping[str, tuple[int, float]],
    target_best: float,
    is_test: Callable[[str], bool],
    *,
    most: int = 3,
) -> list[Elsewhere]:
    """Return the source files whose best line outranks every line of the target.

    found maps a file to its most suspicious line and that line's score. Files far
    behind the most suspicious one (under half its score) are not worth naming. Test code
    (test modules, conftest.py, test folders) is left out: the failing tests' own lines
    always look suspicious. So are files outside the project (a virtual environment
    inside the repository, hidden folders).
    """
    def source(path: str) -> bool:
        parts = path.split("/")
        return (path.endswith(".py") and not path.startswith("..") and not is_test(path)
                and parts[-1] != "conftest.py" and "site-packages" not in parts
                and not any(p.startswith(".") or p in _TEST_FOLDERS for p in parts[:-1]))

    above = [Elsewhere(path, line, score) for path, (line, score) in found.items()
             if score > target_best and source(path)]
    top = max((e.score for e in above), default=0.0)
    return sorted((e for e in above if e.score >= top / 2),
                  key=lambda e: (-e.score, e.path))[:most]
