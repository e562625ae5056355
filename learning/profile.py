"""What the decisions say about the human: kinds they accept, kinds they reject.

Kinds are judged by the pattern over many decisions, not by one: a candidate carries
several kinds, and a rejection says only that one of them was unwelcome. Acceptances
explain rejections away: a rejection is blamed on the candidate's kinds the human
never accepted, and on all of its kinds only when they have all been accepted
before. (Lint fixes ride along with most candidates; a human who accepts them but
rejects reformatting has rejected the reformatting.) A rejection with feedback
(``revised``) asks for another round, often for more of the same ("also rename
this"), and the feedback itself goes to the model; it blames only the kinds the
candidate the human approved later in the same run did without, like a rejection of
those kinds, and no kind when the run ended without an approval. A kind is skipped
once it was blamed at least ``SKIP_AFTER`` times and three times as often as it was
accepted; any kind's preference is its net acceptance shrunk towards zero while
evidence is thin.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from healloop.learning.log import DecisionRecord

SKIP_AFTER = 2
"""Rejections of a kind before later runs stop proposing it."""
FEEDBACK_PER_FILE = 5
"""Most recent pieces of feedback on a file handed to the model."""
FILES_NAMED = 3
"""Files a note names where a kind was rejected; the rest are counted."""


@dataclass
class KindStats:
    """How often the human accepted and rejected candidates of one kind."""

    accepted: int = 0
    rejected: int = 0
    rejected_on: list[str] = field(default_factory=list)
    """Targets of the rejections blamed on this kind, each once, oldest first."""

    @property
    def skipped(self) -> bool:
        """Whether later runs leave this kind out."""
        return self.rejected >= max(SKIP_AFTER, 3 * self.accepted)

    @property
    def preference(self) -> float:
        """Net acceptance in (-1, 1), shrunk towards 0 while evidence is thin."""
        return (self.accepted - self.rejected) / (self.accepted + self.rejected + 1)

    @property
    def effect(self) -> str:
        """Say what later runs do with this kind."""
        if self.skipped:
            return "skipped"
        if self.preference > 0:
            return "tried first"
        if self.preference < 0:
            return "ranked down"
        return "neutral"


@dataclass
class Profile:
    """The decisions on one repository, summarised by kind and by file."""

    edits: dict[str, KindStats] = field(default_factory=dict)
    findings: dict[str, KindStats] = field(default_factory=dict)
    feedback: dict[str, list[str]] = field(default_factory=dict)
    accepted: int = 0
    rejected: int = 0
    revised: int = 0

    @classmethod
    def of(cls, records: Iterable[DecisionRecord]) -> Profile:
        """Summarise decisions, oldest first."""
        profile = cls()
        records = list(records)
        for record in records:
            if record.verdict == "accepted":
                profile.accepted += 1
                for table, kinds in profile._tables(record):
                    for kind in kinds:
                        table.setdefault(kind, KindStats()).accepted += 1
        for record in records:
            if record.verdict != "accepted":
                for table, kinds in profile._tables(record):
                    fresh = [k for k in kinds if k not in table or not table[k].accepted]
                    for kind in fresh or kinds:
                        stats = table.setdefault(kind, KindStats())
                        stats.rejected += 1
                        if record.target not in stats.rejected_on:
                            stats.rejected_on.append(record.target)
        profile.rejected = sum(r.verdict == "rejected" for r in records)
        profile.revised = sum(r.verdict == "revised" for r in records)
        for record in records:
            if record.feedback:
                for path in dict.fromkeys([record.target, *record.files]):
                    profile.feedback.setdefault(path, []).append(record.feedback)
        return profile

    def _tables(self, record: DecisionRecord) -> list[tuple[dict[str, KindStats], list[str]]]:
        """Return each table with the kinds of it the record speaks for or against."""
        revised = record.verdict == "revised"
        kinds = record.dropped_kinds if revised else record.kinds
        addresses = record.dropped_addresses if revised else record.addresses
        return [(self.edits, list(dict.fromkeys(kinds))),
                (self.findings, list(dict.fromkeys(addresses)))]

    def skipped_edits(self) -> set[str]:
        """Return the edit kinds later runs leave out."""
        return {k for k, s in self.edits.items() if s.skipped}

    def skipped_findings(self) -> set[str]:
        """Return the finding kinds later runs leave alone."""
        return {k for k, s in self.findings.items() if s.skipped}

    def preference(self, kinds: Iterable[str], addresses: Iterable[str]) -> float:
        """Return how much the human likes a candidate of these kinds, in (-1, 1).

        A candidate is as disliked as its most disliked kind; otherwise as liked as
        its most liked kind.
        """
        values = [self.edits[k].preference for k in kinds if k in self.edits]
        values += [self.findings[k].preference for k in addresses if k in self.findings]
        if not values:
            return 0.0
        worst = min(values)
        return round(worst if worst < 0 else max(values), 4)

    def feedback_on(self, path: str) -> list[str]:
        """Return the most recent distinct feedback the human gave on a file."""
        unique = list(dict.fromkeys(reversed(self.feedback.get(path, []))))
        return list(reversed(unique[:FEEDBACK_PER_FILE]))

    def explain(self, table: str, kind: str) -> str:
        """Say in words why a kind is treated the way it is, and on which files.

        The file a run works on now is rarely the one the decisions were on: the
        words say where they were, so a note never pins them on the wrong file.
        """
        stats = (self.edits if table == "edits" else self.findings)[kind]
        said = f"rejected {stats.rejected} times in this repository"
        if stats.rejected_on:
            shown = stats.rejected_on[:FILES_NAMED]
            more = len(stats.rejected_on) - len(shown)
            said += f" (on {', '.join(shown)}" + (f" and {more} more files)" if more else ")")
        return f"{said}, accepted {stats.accepted}"
