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
from collections.abc import Mapping
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
