"""Which other files a change to the target will likely have to touch, ranked.

Neither structure nor history is enough alone: the import graph knows who *can*
break but not who usually has to change, and co-change knows what moved together
but nothing of code that is new or rarely touched, and neither sees the test or the
sibling module that only speaks of the same things. This module scores every file
with evidence from all three (importers and imports, the target's tests, files that
changed with it or with its partners, recency-weighted, the files of the work in
progress, and the identifiers it shares with the target, see ``vocab``) and explains
each score by its parts. The weights were tuned by commit replay on an
older window of history than the one the benchmark reports (see bench/impact/).
"""

from __future__ import annotations

import math
import re
import weakref
from collections import Counter
from dataclasses import dataclass, field

from healloop.analysis.history import LARGE_COMMIT, History
from healloop.analysis.imports import ImportGraph
from healloop.analysis.vocab import Vocabulary, build_vocabulary

WEIGHTS: dict[str, float] = {
    "confidence": 3.0,
    "vocabulary": 2.0,
    "pair_share": 1.0,
    "recent_cochange": 0.75,
    "folder_cochange": 0.5,
    "indirect": 0.5,
    "working_set": 0.5,
    "test_pair": 0.35,
    "importer": 0.2,
    "mentions": 0.2,
    "reverse_confidence": 0.2,
    "activity": 0.1,
    "imported": 0.1,
    "last_together": 0.1,
    "recent_activity": 0.1,
    "transitive": 0.1,
    "shared_importers": -0.2,
}
"""Fitted by tune.py on older commits than the benchmark's; parts not named weigh 0."""
BIAS = -2.0
"""Intercept: a file with no evidence scores about 0.12 (it orders nothing)."""
WORKING_SET = 10
"""How many of the latest commits count as the work in progress."""
PARTNERS = 10
"""How many of the target's strongest co-change partners lend theirs (transitive)."""
SIMILAR = 30
"""How many of the files likest the target in vocabulary become candidates."""
_VOCABULARIES: weakref.WeakKeyDictionary[ImportGraph, Vocabulary] = (
    weakref.WeakKeyDictionary())


@dataclass
class Related:
    """A file and why a change to the target may need a change there too."""

    file: str
    score: float
    parts: dict[str, float] = field(default_factory=dict)


def _stem(path: str) -> str:
    name = path.rsplit("/", 1)[-1][:-3]
    return re.sub(r"^test_|_test$|^test$", "", name)


def _folder(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def _path_similarity(a: str, b: str) -> float:
    pa, pb = a.split("/")[:-1], b.split("/")[:-1]
    common = 0
    for x, y in zip(pa, pb, strict=False):
        if x != y:
            break
        common += 1
    return common / max(len(pa), len(pb), 1)


def _vocabulary(graph: ImportGraph) -> Vocabulary:
    """Return the vocabulary of the graph's files, built once per graph."""
    if graph not in _VOCABULARIES:
        stamps = {rel: graph.stamps.get(rel, [0, 0]) for rel in graph.files}
        _VOCABULARIES[graph] = build_vocabulary(graph.repo, stamps,
                                                cache=graph.cache_file is not None)
    return _VOCABULARIES[graph]


def _transitive(history: History, target: str) -> dict[str, float]:
    """Return how often each file changes with the target's strongest partners."""
    partners = history.co_changes(target, top=PARTNERS, min_support=2)
    total = sum(p.confidence for p in partners)
    out: Counter[str] = Counter()
    for partner in partners:
        for rule in history.co_changes(partner.file, top=100, min_support=1):
            out[rule.file] += partner.confidence * rule.confidence / total
    return dict(out)


def features(graph: ImportGraph | None, history: History | None, target: str
             ) -> dict[str, dict[str, float]]:
    """Return each candidate file's evidence, every part in [0, 1]."""
    out: dict[str, dict[str, float]] = {}

    def put(path: str, name: str, value: float) -> None:
        if path != target and path.endswith(".py") and value > 0:
            slot = out.setdefault(path, {})
            slot[name] = max(slot.get(name, 0.0), min(1.0, value))

    mine = history.changes(target) if history is not None else 0
    folders: Counter[str] = Counter()
    if history is not None:
        if mine:
            for rule in history.co_changes(target, top=300, min_support=1):
                put(rule.file, "confidence", rule.confidence)
                put(rule.file, "support", 1 - 0.5 ** rule.support)
                put(rule.file, "reverse_confidence",
                    rule.support / max(1, history.changes(rule.file)))
            weighted = history.weighted(target)
            top = max(weighted.values(), default=0.0)
            for path, value in weighted.items():
                put(path, "recent_cochange", value / top if top else 0.0)
            share: Counter[str] = Counter()
            for index in history.by_file.get(target, []):
                files = history.commits[index].files
                for path in files:
                    put(path, "last_together", 0.5 ** (index / 100))
                    share[path] += 1 / max(1, len(files) - 1) / mine
                folders.update({_folder(f) for f in files if f != target})
            for path, value in share.items():
                put(path, "pair_share", value)
            for path, value in _transitive(history, target).items():
                put(path, "transitive", value)
        for age, commit in enumerate(history.commits[:WORKING_SET]):
            if len(commit.files) <= LARGE_COMMIT:
                for path in commit.files:
                    put(path, "working_set", 0.5 ** (age / 3))
    if graph is not None and target in graph.files:
        for path, depth in graph.dependents(target).items():
            put(path, "importer" if depth == 1 else "indirect", 1.0 if depth == 1 else 0.5)
        module = graph.files[target].module
        mine_imports = graph.imported_modules(target) - {module}
        for imported in mine_imports:
            if imported in graph.by_module:
                put(graph.by_module[imported], "imported", 1.0)
        stem = _stem(target)
        folder = _folder(target)
        for path in graph.files:
            if graph.is_test(path) != graph.is_test(target) and _stem(path) == stem:
                put(path, "test_pair", 1.0)
            elif _folder(path) == folder and path != target:
                put(path, "same_dir", 1.0)
        vocabulary = _vocabulary(graph)
        similar = vocabulary.similar(target)
        for path in sorted(similar, key=lambda p: (-similar[p], p))[:SIMILAR]:
            put(path, "vocabulary", math.sqrt(similar[path]))
        names = [n for n in graph.files[target].definitions if not n.startswith("_")]
        importers = graph.importers()
        mine_users = importers.get(module, set()) - {target}
        for path, parts in out.items():
            if path not in graph.files:
                continue
            if similar.get(path):
                parts["vocabulary"] = min(1.0, math.sqrt(similar[path]))
            mentioned = vocabulary.mentions(names, path) if names else 0.0
            if mentioned:
                parts["mentions"] = mentioned
            theirs = importers.get(graph.files[path].module, set()) - {path}
            if mine_users and theirs:
                parts["shared_importers"] = len(mine_users & theirs) / len(mine_users | theirs)
            their_imports = graph.imported_modules(path) - {graph.files[path].module}
            if mine_imports and their_imports:
                parts["shared_imports"] = (len(mine_imports & their_imports)
                                           / len(mine_imports | their_imports))
    if graph is not None:
        # History remembers files the tree no longer has; no change can touch those.
        out = {path: parts for path, parts in out.items()
               if path in graph.files or (graph.repo / path).is_file()}
    recent = Counter(f for c in history.commits[:100] if len(c.files) <= LARGE_COMMIT
                     for f in c.files) if history is not None else Counter()
    for path, parts in out.items():
        parts["path_similarity"] = _path_similarity(target, path)
        if history is not None:
            parts["activity"] = min(1.0, history.changes(path) / 50)
            parts["recent_activity"] = min(1.0, recent.get(path, 0) / 10)
            if mine and folders.get(_folder(path)):
                parts["folder_cochange"] = folders[_folder(path)] / mine
    return out


def telling(parts: dict[str, float], weights: dict[str, float] | None = None
            ) -> dict[str, float]:
    """Return the parts that move the score, the weightiest contribution first."""
    weights = weights or WEIGHTS
    moving = [(name, value) for name, value in parts.items() if weights.get(name, 0.0)]
    return dict(sorted(moving, key=lambda kv: (-abs(weights[kv[0]] * kv[1]), kv[0])))


def related_files(graph: ImportGraph | None, history: History | None, target: str,
                  *, top: int = 20, weights: dict[str, float] | None = None
                  ) -> list[Related]:
    """Return the files likeliest to change with target, best first.

    The score is a logistic function of the weighted evidence, in [0, 1]: it orders
    files by how likely they change in the same commit, but it is not calibrated.
    """
    weights = weights or WEIGHTS
    ranked = []
    for path, parts in features(graph, history, target).items():
        z = BIAS + sum(weights.get(k, 0.0) * v for k, v in parts.items())
        ranked.append(Related(path, round(1 / (1 + math.exp(-z)), 4), parts))
    ranked.sort(key=lambda r: (-r.score, r.file))
    return ranked[:top]
