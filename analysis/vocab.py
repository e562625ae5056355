"""Which files talk about the same things: the identifier vocabulary of every file.

A module and the test that exercises it, or two sibling modules that implement one
feature, often share neither a name, an import nor much history, but they share
words: the classes, functions, options and attributes they both mention. This is the
conceptual coupling of change-impact research: each file is the set of identifiers
its text contains, every identifier weighs by how rare it is in the repository
(inverse document frequency), and two files are as similar as the cosine of their
weighted sets. Identifiers found in a single file pair nothing, and those in more
than half of the files say nothing, so both are left out.

Reading every file is the cost, so each file's identifiers are cached under
``<repo>/.healloop/cache/`` keyed by its size and modification time, as the import
graph's summaries are: a warm index re-reads only the files that changed.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

from healloop.analysis.cache import cache_file, read_per_file, write_per_file

CACHE_VERSION = 1
_CACHE_NAME = "vocab.json"
_IDENTIFIER = re.compile(rb"[A-Za-z_][A-Za-z0-9_]{3,}")
"""Identifiers of four characters or more: shorter ones are loop variables and keywords."""


def identifiers(source: bytes) -> frozenset[str]:
    """Return the distinct identifiers of four characters or more in a file's text."""
    return frozenset(t.decode("ascii") for t in _IDENTIFIER.findall(source))


class Vocabulary:
    """The identifiers of every file, with the weights that make rare ones count."""

    def __init__(self, tokens: dict[str, frozenset[str]]) -> None:
        """Index each file's identifiers (by repo-relative path)."""
        self.tokens = tokens
        frequency: Counter[str] = Counter()
        for words in tokens.values():
            frequency.update(words)
        total = len(tokens)
        self.idf = {word: math.log(total / n) for word, n in frequency.items()
                    if 2 <= n <= total / 2}
        self._norms: dict[str, float] = {}

    def _norm(self, rel: str) -> float:
        if rel not in self._norms:
            idf = self.idf
            self._norms[rel] = math.sqrt(sum(idf[w] ** 2 for w in self.tokens[rel] if w in idf))
        return self._norms[rel]

    def similar(self, rel: str) -> dict[str, float]:
        """Return the cosine similarity of rel's weighted identifiers with every other file."""
        if rel not in self.tokens or not self._norm(rel):
            return {}
        mine = {w: self.idf[w] ** 2 for w in self.tokens[rel] if w in self.idf}
        norm = self._norm(rel)
        out = {}
        for other, words in self.tokens.items():
            if other == rel:
                continue
            shared = words & mine.keys()
            if shared:
                out[other] = sum(mine[w] for w in shared) / (norm * self._norm(other))
        return out

    def mentions(self, names: list[str], rel: str) -> float:
        """Return the share of names (weighted by rarity) that rel's text mentions."""
        weights = {n: self.idf.get(n, 0.0) for n in names}
        total = sum(weights.values())
        if not total or rel not in self.tokens:
            return 0.0
        return sum(w for n, w in weights.items() if n in self.tokens[rel]) / total


def build_vocabulary(repo: Path, stamps: dict[str, list[int]], *, cache: bool = True
                     ) -> Vocabulary:
    """Read (or load from the cache) the identifiers of every file in stamps."""
    path = cache_file(repo, _CACHE_NAME) if cache else None
    cached = read_per_file(path, CACHE_VERSION)
    tokens: dict[str, frozenset[str]] = {}
    changed = len(cached) != len(stamps)
    for rel, stamp in stamps.items():
        entry = cached.get(rel)
        if entry and entry[0] == stamp:
            tokens[rel] = frozenset(entry[1])
            continue
        try:
            tokens[rel] = identifiers((repo / rel).read_bytes())
        except OSError:
            tokens[rel] = frozenset()
        changed = True
    if changed:
        files = {rel: [stamps[rel], sorted(words)] for rel, words in tokens.items()}
        write_per_file(path, CACHE_VERSION, files)
    return Vocabulary(tokens)
