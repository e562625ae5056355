"""The interface every generator implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from healloop.context import RunContext
from healloop.state import BlastRadius, Evaluation, FileChange, ReviewReport

if TYPE_CHECKING:
    from healloop.repair.order import RepairOrder


@dataclass
class GenerationJob:
    """Everything a generator may use to propose a better version of one target."""

    repo: Path
    """The user's repository (read only)."""
    target: str
    """Repo-relative path of the file to improve."""
    source: str
    """The content to improve: the best candidate so far, or the original."""
    original: str
    """The content of the target when the run started."""
    review: ReviewReport
    blast_radius: BlastRadius | None
    iteration: int
    context: RunContext
    feedback: list[str] = field(default_factory=list)
    """Evaluator feedback on earlier candidates and the human's on rejection."""
    history: list[Evaluation] = field(default_factory=list)
    """Evaluations of earlier candidates for this target."""
    leave_alone: list[str] = field(default_factory=list)
    """Finding kinds (ruff codes, ...) the human keeps rejecting fixes for: keep them."""
    notes: list[str] = field(default_factory=list)
    """What an engine tells the user of its work, e.g. why it proposes nothing."""
    repairs: RepairOrder | None = None
    """The round's order of repairs of targets that fail the same tests, if any."""
    alongside: list[FileChange] = field(default_factory=list)
    """The other targets' best candidates' changes to other files: the tree the
    target's candidates are measured in."""
    targets: tuple[str, ...] = ()
    """Every target of the run (this one included)."""


@dataclass
class Proposal:
    """One proposed new content of the target, with other files it must change."""

    content: str
    engine: str
    summary: str
    edits: list[str] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)
    also: list[FileChange] = field(default_factory=list)
    """Edits to other files, e.g. call sites of a renamed symbol."""


class Engine(Protocol):
    """A generator of proposals."""

    name: str

    def propose(self, job: GenerationJob) -> list[Proposal]:
        """Return zero or more proposals for the job."""
        ...
