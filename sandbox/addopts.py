"""The repository's pytest addopts, less the options of plugins the tests' Python lacks.

A configuration's ``addopts = --cov=pkg -n auto`` stops pytest before any test where
pytest-cov and pytest-xdist are not installed (and healloop never loads them): pytest
says which words it did not know, and healloop's runs go on with ``-o addopts=`` set
to the rest.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

LEFT_OUT: dict[tuple[str, tuple[str, ...]], list[str]] = {}
"""The unknown words, per Python and addopts, once a run learnt them: pytest need not
fail again on every run."""

_UNKNOWN = re.compile(r"error: unrecognized arguments: (.+)$", re.MULTILINE)


def unknown(output: str) -> list[str]:
    """Return the words pytest's output says it did not know, else []."""
    found = _UNKNOWN.search(output)
    return found.group(1).split() if found else []


def split(words: Sequence[str], unknown: Sequence[str]) -> tuple[list[str], list[str]]:
    """Return the addopts words kept and those left out with the unknown options.

    An unknown option given its value as the next word (``-n auto``, ``--cov pkg``)
    takes it along: pytest read the value as a path to collect, so it is not among
    the words pytest named.
    """
    kept: list[str] = []
    out: list[str] = []
    left = list(unknown)
    rest = list(words)
    while rest:
        word = rest.pop(0)
        if word not in left:
            kept.append(word)
            continue
        left.remove(word)
        out.append(word)
        if word.startswith("-") and "=" not in word and rest and not rest[0].startswith("-"):
            out.append(rest.pop(0))
    return kept, out


def override(words: Sequence[str], unknown: Sequence[str]) -> list[str]:
    """Return the pytest arguments that set addopts to the words kept, or []."""
    if not unknown:
        return []
    return ["-o", f"addopts={shlex.join(split(words, unknown)[0])}"]
