"""Edits as text replacements, so a repaired file keeps its author's formatting.

An edit replaces one span of the source. Applying edits to text rather than
unparsing a changed tree keeps comments, quotes and layout: the patch a user
approves shows only the change itself.
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

EditKind = Literal[
    "operator",     # arithmetic, bitwise, comparison or boolean operator replaced
    "negation",     # `not` added or removed
    "constant",     # integer constant +-1, boolean flipped
    "off_by_one",   # index, slice bound or count expression +-1, or a +-k dropped
    "identifier",   # a name, attribute or called function replaced by another in scope
    "swap",         # call arguments or binary operands swapped
    "slice",        # slice bound dropped or added
    "wrap",         # call wrapped in or unwrapped from min/max/abs/len/list/sorted
    "condition",    # a condition narrowed (`and c`), widened (`or c`) or a conjunct dropped
    "delete",       # statement deleted
    "guard",        # guard or return inserted: `if c: return r`
    "insert",       # statement copied from elsewhere in the function
]


@dataclass(frozen=True)
class Edit:
    """Replace source[start:end] with text."""

    kind: EditKind
    start: int
    end: int
    text: str
    line: int
    old: str
    weight: float
    """Prior likelihood that an edit of this kind at this place is the fix, 0..1."""
    said: str = ""
    """The edit in words, for one that rewrites pieces far apart (an import and its uses)."""

    def describe(self) -> str:
        """Return the edit in words, e.g. ``line 12: `<=` → `<```."""
        if self.said:
            return f"line {self.line}: {self.said}"
        old, new = _short(self.old), _short(self.text)
        if not self.text.strip():
            return f"line {self.line}: delete `{old}`"
        if not self.old.strip():
            return f"line {self.line}: insert `{new}`"
        return f"line {self.line}: `{old}` → `{new}`"

    def overlaps(self, other: Edit) -> bool:
        """Return whether the two edits touch the same text."""
        return self.start < other.end and other.start < self.end or (
            self.start == other.start
        )


def apply(source: str, edits: Sequence[Edit]) -> str:
    """Return source with non-overlapping edits applied."""
    out = source
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        out = out[: edit.start] + edit.text + out[edit.end :]
    return out


def tokens(source: str) -> list[str]:
    """Return the significant tokens of source (no comments, layout or newlines)."""
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENCODING,
            tokenize.ENDMARKER}
    try:
        return [
            t.string if t.type not in (tokenize.INDENT, tokenize.DEDENT) else t.type.__str__()
            for t in tokenize.generate_tokens(io.StringIO(source).readline)
            if t.type not in skip
        ]
    except (tokenize.TokenError, SyntaxError):
        return source.split()


def changed_tokens(before: str, after: str) -> int:
    """Return how many tokens an edit removes plus how many it adds."""
    a, b = tokens(before), tokens(after)
    matcher = SequenceMatcher(a=a, b=b, autojunk=False)
    return sum(
        max(i2 - i1, j2 - j1)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    )


def _short(text: str, limit: int = 60) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"
