"""The decision log: every approval and rejection, kept in the LangGraph store.

A rejection with feedback is recorded as ``revised``: the human asked for more or
something else, which is not a verdict against the kinds of change the candidate
made ("rename this too" comes with a lint fix the human has nothing against). What
the feedback was against shows when the same run ends: once the human approves a
candidate for the target, each revision of it is held against the kinds the approved
candidate left out (``dropped_kinds``, ``dropped_addresses``): they asked for another
round and chose a change without them. A revision whose run ends otherwise is held
against nothing.

The store lives where the checkpointer does (SQLite under ``<repo>/.healloop/`` by
default, PostgreSQL when configured), so decisions survive the process and follow a
deployment. One namespace per repository keeps one PostgreSQL database shared by many
repositories apart. Records are keyed by run and candidate, so recording the same
decision twice (a node re-run after a crash) stores it once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from langgraph.store.base import BaseStore
from pydantic import Field, model_validator

from healloop.state import Candidate, Evaluation, Report, ReviewReport

Verdict = Literal["accepted", "rejected", "revised"]
"""accepted; rejected (no more of this); revised (rejected with feedback: try again so)."""
_PAGE = 200


_FIXES_TESTS = {"syntax", "names", "repair", "llm"}
"""Engines that change code to make failing tests pass."""


class DecisionRecord(Report):
    """One human decision on one candidate."""

    thread_id: str
    candidate_id: str
    target: str
    verdict: Verdict
    engine: str
    kinds: list[str] = Field(default=[], description="Edit kinds of the candidate.")
    addresses: list[str] = Field(default=[], description="Finding kinds it resolved.")
    files: list[str] = Field(default=[], description="Every file the candidate changed.")
    score: float = 0.0
    feedback: str = ""
    dropped_kinds: list[str] = Field(
        default=[], description="Of a revision: its edit kinds the approved one lacks.")
    dropped_addresses: list[str] = Field(
        default=[], description="Of a revision: its finding kinds the approved one did not fix.")
    at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @model_validator(mode="before")
    @classmethod
    def _feedback_asks_for_a_revision(cls, data: object) -> object:
        """Take a rejection with feedback for the revision it is.

        Records stored before ``revised`` existed say ``rejected`` for every
        rejection; one with feedback came from a rejection with feedback, and holding
        it against the candidate's kinds is what switched off the fixes that came with
        a request for more.
        """
        if isinstance(data, dict) and data.get("verdict") == "rejected" and data.get("feedback"):
            return {**data, "verdict": "revised"}
        return data

    @classmethod
    def of(
        cls,
        thread_id: str,
        verdict: Verdict,
        candidate: Candidate,
        evaluation: Evaluation,
        review: ReviewReport | None,
        feedback: str | None,
    ) -> DecisionRecord:
        """Record a verdict on a candidate, with what it resolved as measured."""
        addresses = list(candidate.addresses)
        before = review.tests.failing if review and review.tests else set()
        after = evaluation.tests.failing if evaluation.tests else before
        # Measured with other targets' candidates, fewer failures may be their doing:
        # a lint fix measured beside the repair of the module every test imports.
        own = not evaluation.alongside or candidate.engine.split("+")[0] in _FIXES_TESTS
        if len(after) < len(before) and own:
            addresses.append("failing-test")
        return cls(
            thread_id=thread_id, candidate_id=candidate.id, target=candidate.target,
            verdict=verdict, engine=candidate.engine, kinds=candidate.kinds,
            addresses=sorted(set(addresses)), files=[c.path for c in candidate.changes],
            score=evaluation.score, feedback=feedback or "",
        )

    def settled_by(self, approved: DecisionRecord) -> DecisionRecord:
        """Return this revision held against what the candidate approved after it lacks.

        Kinds both share are what the human kept asking for, or did not mind; kinds
        only the revision had are what the other round was asked for without.
        """
        return self.model_copy(update={
            "dropped_kinds": [k for k in self.kinds if k not in approved.kinds],
            "dropped_addresses": [a for a in self.addresses if a not in approved.addresses],
        })

    @property
    def key(self) -> str:
        """Return the store key: one record per run and candidate."""
        return f"{self.thread_id}:{self.candidate_id}"


def namespace(repo: Path | str) -> tuple[str, ...]:
    """Return the store namespace of a repository's decisions."""
    digest = hashlib.sha256(str(Path(repo).resolve()).encode()).hexdigest()[:16]
    return ("healloop", "decisions", digest)


class DecisionLog:
    """The decisions recorded for one repository."""

    def __init__(self, store: BaseStore, repo: Path | str) -> None:
        """Use store for the decisions on repo."""
        self.store = store
        self.namespace = namespace(repo)

    def add(self, records: Iterable[DecisionRecord]) -> None:
        """Record decisions; a decision recorded before is replaced, not repeated."""
        for record in records:
            self.store.put(self.namespace, record.key, record.dump(), index=False)

    def settle(self, approved: Iterable[DecisionRecord]) -> None:
        """Hold the revisions of each approved target in its run against what it lacks.

        Called when an approval is recorded: only then is it known what the feedback
        was against (see ``DecisionRecord.settled_by``).
        """
        for accepted in approved:
            self.add(earlier.settled_by(accepted)
                     for earlier in self.records(thread_id=accepted.thread_id)
                     if earlier.verdict == "revised" and earlier.target == accepted.target)

    def records(self, thread_id: str | None = None) -> list[DecisionRecord]:
        """Return every decision, or those of one run, oldest first."""
        found: list[DecisionRecord] = []
        where = {"thread_id": thread_id} if thread_id is not None else None
        while True:
            page = self.store.search(self.namespace, filter=where, limit=_PAGE,
                                     offset=len(found))
            found.extend(DecisionRecord.model_validate(item.value) for item in page)
            if len(page) < _PAGE:
                break
        return sorted(found, key=lambda r: (r.at, r.key))

    def clear(self) -> int:
        """Forget every decision; return how many there were."""
        keys = [r.key for r in self.records()]
        for key in keys:
            self.store.delete(self.namespace, key)
        return len(keys)
