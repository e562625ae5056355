"""How risky a change to the target is, for each dependent and as a whole, by parts.

A single number hides why it is high, so the change's risk is a weighted mean of
named parts, each in [0, 1] and reported beside it: how many modules import the target
(fan_in) and how far the change can travel (reach), how much of what dependents use
no test reads or runs (untested), how often the target changes (churn), and how strongly
files that do not import it still change with it (hidden_coupling: the dependencies
the import graph cannot see). A dependent's own risk combines its distance, how much of
the target it uses, and how often it had to change with it.
"""

from __future__ import annotations

import math

from healloop.state import Dependent, RelatedFile

WEIGHTS = {
    "fan_in": 0.25,
    "reach": 0.15,
    "untested": 0.25,
    "churn": 0.15,
    "hidden_coupling": 0.2,
}


def dependent_risk(dependent: Dependent, coupling: float) -> float:
    """Return how likely a change to the target breaks this dependent, in [0, 1]."""
    nearness = {1: 0.6, 2: 0.3}.get(dependent.depth, 0.15)
    usage = min(1.0, math.log2(1 + len(dependent.uses)) / 5)
    risk = 1 - (1 - nearness) * (1 - 0.4 * usage) * (1 - 0.6 * coupling)
    return round(min(1.0, risk), 3)


def change_risk(
    dependents: list[Dependent],
    *,
    files_in_repo: int,
    tested_symbols: set[str],
    has_tests: bool,
    changes: int | None,
    related: list[RelatedFile],
) -> tuple[float, dict[str, float]]:
    """Return the change's risk and its parts (each in [0, 1]).

    Args:
        dependents: Every module importing the target, with depth and symbols.
        files_in_repo: How many Python files the repository has.
        tested_symbols: Target symbols some test reads, or, by a coverage map, runs.
        has_tests: Whether any test reaches the target.
        changes: Commits that touched the target in the history window, None where
            history cannot tell (no git, a shallow clone, a single commit): churn
            and hidden coupling are then left out with their weight, not guessed.
        related: Files likely to change with the target, with their evidence.

    """
    direct = [d for d in dependents if d.depth == 1]
    parts: dict[str, float] = {
        "fan_in": min(1.0, math.log2(1 + len(direct)) / math.log2(51)),
        "reach": min(1.0, len(dependents) / max(1, files_in_repo - 1)),
    }
    used = {s.split(".")[0] for d in dependents if "test" not in d.file for s in d.symbols}
    if not has_tests:
        parts["untested"] = 1.0
    elif used:
        parts["untested"] = len(used - tested_symbols) / len(used)
    else:
        parts["untested"] = 0.0
    if changes is not None:
        parts["churn"] = min(1.0, math.log2(1 + changes) / math.log2(101))
        importing = {d.file for d in dependents}
        hidden = [r.reasons.get("confidence", 0.0) for r in related if r.file not in importing]
        parts["hidden_coupling"] = max(hidden, default=0.0)
    weight = sum(WEIGHTS[k] for k in parts)
    risk = sum(WEIGHTS[k] * v for k, v in parts.items()) / weight
    return round(risk, 3), {k: round(v, 3) for k, v in parts.items()}
