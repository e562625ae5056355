"""Rank a round's candidates by what the human decided before.

Candidates with a kind the human keeps rejecting are dropped before they cost an
evaluation, and the run says so in its notes; the rest carry their learned
preference, which orders them and decides between candidates that all clear the
threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from healloop.learning.profile import Profile
from healloop.state import Candidate


@dataclass
class Ranking:
    """The candidates worth evaluating, best liked first, and what was dropped."""

    kept: list[Candidate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def rank(candidates: Sequence[Candidate], profile: Profile) -> Ranking:
    """Drop candidates of skipped kinds, set the preference of the rest, order them."""
    skipped_edits, skipped_findings = profile.skipped_edits(), profile.skipped_findings()
    dropped: dict[tuple[str, str, str], int] = {}
    kept: list[Candidate] = []
    for candidate in candidates:
        reasons = [("edits", k) for k in candidate.kinds if k in skipped_edits]
        reasons += [("findings", k) for k in candidate.addresses if k in skipped_findings]
        if reasons:
            table, kind = reasons[0]
            key = (candidate.target, table, kind)
            dropped[key] = dropped.get(key, 0) + 1
            continue
        preference = profile.preference(candidate.kinds, candidate.addresses)
        kept.append(candidate.model_copy(update={"preference": preference}))
    kept.sort(key=lambda c: -c.preference)
    notes = [
        f"skipped {count} candidate(s) for {target} that "
        + (f"make {kind} edits" if table == "edits" else f"fix {kind} findings")
        + f": you {profile.explain(table, kind)}"
        for (target, table, kind), count in sorted(dropped.items())
    ]
    return Ranking(kept=kept, notes=notes)
