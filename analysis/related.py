"""Which other files a change to the target will likely have to touch, ranked.

Neither structure nor history is enough alone: the import graph knows who *can*
break but not who usually has to change, and co-change knows what moved together
but nothing of code that is new or rarely touched. This module scores every file
with evidence from either (importers and imports, the target's tests, files that
changed with it, recency-weighted, and the files of the work in progress) and
explains each score by its parts. The weights were tuned by commit replay on an
older window of history than the one the benchmark reports (see bench/impact/).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from healloop.analysis.history import History
from healloop.analysis.imports import ImportGraph, is_test_file

WEIGHTS: dict[str, float] = {
    "confidence": 1.0,
    "recent_cochange": 1.0,
    "importer": 0.25,
    "imported": 0.2,
    "indirect": 0.05,
    "test_pair": 0.5,
    "working_set": 0.3,
    "same_dir": 0.05,
}
WORKING_SET = 10
"""How many of the latest commits count as the work in progress."""


@dataclass
class Related:
    """A file and why a change to the target may need a change there too."""

    file: str
    score: float
    parts: dict[str, float] = field(default_factory=dict)


def _stem(path: str) -> str:
    name = path.rsplit("/", 1)[-1][:-3]
    return re.sub(r"^test_|_test$|^test$", "", name)


def features(graph: ImportGraph | None, history: History | None, target: str
             ) -> dict[str, dict[str, float]]:
    """Return each candidate file's evidence, every part in [0, 1]."""
    out: dict[str, dict[str, float]] = {}

    def put(path: str, name: str, value: float) -> None:
        if path != target and path.endswith(".py") and value > 0:
            slot = out.setdefault(path, {})
            slot[name] = max(slot.get(name, 0.0), min(1.0, value))

    if history is not None:
        mine = history.changes(target)
        if mine:
            for rule in history.co_changes(target, top=200, min_support=1):
                put(rule.file, "confidence", rule.confidence * (1 - 0.5 ** rule.support))
            weighted = history.weighted(target)
            top = max(weighted.values(), default=0.0)
            for path, value in weighted.items():
                put(path, "recent_cochange", value / top if top else 0.0)
        for age, commit in enumerate(history.commits[:WORKING_SET]):
            if len(commit.files) <= 30:
                for path in commit.files:
                    put(path, "working_set", 0.5 ** (age / 3))
    if graph is not None and target in graph.files:
        for path, depth in graph.dependents(target).items():
            put(path, "importer" if depth == 1 else "indirect", 1.0 if depth == 1 else 0.5)
        module = graph.files[target].module
        for imported in graph.imported_modules(target):
            if imported != module and imported in graph.by_module:
                put(graph.by_module[imported], "imported", 1.0)
        stem = _stem(target)
        folder = target.rsplit("/", 1)[0] if "/" in target else ""
        for path in graph.files:
            if is_test_file(path) != is_test_file(target) and _stem(path) == stem:
                put(path, "test_pair", 1.0)
            elif path in out and (path.rsplit("/", 1)[0] if "/" in path else "") == folder:
                put(path, "same_dir", 1.0)
    return out


def related_files(graph: ImportGraph | None, history: History | None, target: str,
                  *, top: int = 20, weights: dict[str, float] | None = None
                  ) -> list[Related]:
    """Return the files likeliest to change with target, best first, scores in [0, 1]."""
    weights = weights or WEIGHTS
    total = sum(weights.values())
    ranked = []
    for path, parts in features(graph, history, target).items():
        score = sum(weights.get(k, 0.0) * v for k, v in parts.items()) / total
        ranked.append(Related(path, round(math.sqrt(score), 4), parts))
    ranked.sort(key=lambda r: (-r.score, r.file))
    return ranked[:top]
