"""Drive the graph for the CLI: start, pause for approval, resume, list runs.

The CLI is a thin shell over this module; Studio and the API server drive the same
graph without it.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, StateSnapshot

from healloop.checkpoint import open_checkpointer, open_store, resolve_location
from healloop.context import RunContext
from healloop.errors import RunNotFoundError, RunStateError, UsageError
from healloop.graph import build_graph
from healloop.learning import DecisionLog, DecisionRecord
from healloop.nodes._common import best_score, reviewed, untested, workers
from healloop.nodes.apply import where_to_write
from healloop.nodes.approve import approval_request, check_decision
from healloop.state import (
    ApprovalDecision,
    ApprovalRequest,
    Request,
    RunStatus,
    TargetWithoutProposal,
)

Approver = Callable[[ApprovalRequest], ApprovalDecision | None]
"""Decides on an approval request; None leaves the run paused."""
Progress = Callable[[str, dict[str, Any]], None]
"""Told the name and update of every node that finishes."""

_SECRET_FIELDS = {"api_key", "chat_model"}


@dataclass
class Outcome:
    """How a run stands after the CLI drove it as far as it could."""

    status: RunStatus
    thread_id: str
    threshold: float
    files: list[str] = field(default_factory=list)
    """The run's targets."""
    score: float | None = None
    original_score: float | None = None
    iterations_used: int = 0
    output: str | None = None
    diff: str = ""
    reason: str = ""
    written: list[str] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    request: ApprovalRequest | None = None
    without: list[TargetWithoutProposal] = field(default_factory=list)
    """The targets with nothing to propose, and why."""
    notes: list[str] = field(default_factory=list)
    """What the run did differently because of past decisions, model notes, and the
    targets whose tests did not all run (a test file pytest could not collect)."""
    usage: dict[str, float] = field(default_factory=dict)
    """Model calls, tokens in and out, and cost of the run."""

    def to_json(self) -> dict[str, Any]:
        """Return the outcome as the JSON object `--json` prints."""
        data = dataclasses.asdict(self)
        data["request"] = self.request.dump() if self.request else None
        data["without"] = [w.dump() for w in self.without]
        return data


def settings_of(ctx: RunContext) -> dict[str, Any]:
    """Return the run context without secrets, to keep with the run."""
    return {
        f.name: getattr(ctx, f.name)
        for f in dataclasses.fields(ctx)
        if f.name not in _SECRET_FIELDS
    }


def context_from(settings: dict[str, Any], **overrides: Any) -> RunContext:
    """Rebuild a run context from kept settings and this process's secrets."""
    known = {f.name for f in dataclasses.fields(RunContext)}
    values = {k: v for k, v in settings.items() if k in known}
    values.update({k: v for k, v in overrides.items() if v is not None})
    return RunContext(**values)


@contextmanager
def opened(repo: Path, checkpointer: str | None) -> Iterator[CompiledStateGraph]:
    """Yield the graph compiled with the run's checkpointer and store."""
    with open_checkpointer(checkpointer, repo) as saver, open_store(checkpointer, repo) as store:
        yield build_graph(checkpointer=saver, store=store)


def new_thread_id() -> str:
    """Return a fresh, readable thread id."""
    return f"heal-{uuid.uuid4().hex[:12]}"


def start(
    request: Request,
    ctx: RunContext,
    *,
    thread_id: str | None,
    checkpointer: str | None,
    approver: Approver,
    progress: Progress,
) -> Outcome:
    """Start a run, or continue the unfinished run with that thread id."""
    thread_id = thread_id or new_thread_id()
    config = _config(thread_id)
    with opened(Path(request.repo), checkpointer) as graph:
        snapshot = graph.get_state(config)
        # A run killed before its input was recorded left no request: it starts anew.
        if snapshot.values.get("request"):
            _check_same_request(thread_id, snapshot.values["request"], request)
            if not upcoming(snapshot):
                return outcome_of(graph, thread_id)
            ctx = context_from(snapshot.values.get("settings", {}), api_key=ctx.api_key,
                               chat_model=ctx.chat_model)
            return _drive(graph, thread_id, None, ctx, approver, progress)
        state = {"request": request.dump(), "settings": settings_of(ctx)}
        return _drive(graph, thread_id, state, ctx, approver, progress)


def resume(
    thread_id: str,
    repo: Path,
    decision: ApprovalDecision | None,
    *,
    checkpointer: str | None,
    approver: Approver,
    progress: Progress,
    **secrets: Any,
) -> Outcome:
    """Resume a paused run with a decision, or ask the approver for one."""
    config = _config(thread_id)
    with opened(repo, checkpointer) as graph:
        snapshot = graph.get_state(config)
        if not snapshot.values:
            raise RunNotFoundError(f"no run with thread id {thread_id} in this checkpointer")
        if not upcoming(snapshot):
            status = snapshot.values.get("status", "finished")
            raise RunStateError(f"run {thread_id} has already finished ({status})")
        ctx = context_from(snapshot.values.get("settings", {}), **secrets)
        if decision is None:
            return _drive(graph, thread_id, None, ctx, approver, progress)
        pending = _pending_request(graph, thread_id)
        if pending is None:
            if snapshot.values.get("decision") == decision.dump():
                # The same decision again: the process that took it died; carry it out.
                return _drive(graph, thread_id, None, ctx, approver, progress)
            raise RunStateError(
                f"run {thread_id} is not waiting for approval "
                f"(next: {', '.join(upcoming(snapshot))}): "
                f"healloop resume {thread_id}, without a decision, continues it"
            )
        # Checked here, before the graph sees it: a refused answer would be asked again.
        checked = check_decision(decision.dump(), pending)
        if isinstance(checked, str):
            raise UsageError(checked)
        return _drive(graph, thread_id, Command(resume=decision.dump()), ctx, approver, progress)


def _check_same_request(thread_id: str, kept: dict[str, Any], request: Request) -> None:
    """Refuse to continue a run under a thread id with different arguments."""
    given = request.dump()
    changed = sorted(k for k in given.keys() | kept.keys() if given.get(k) != kept.get(k))
    if changed:
        raise RunStateError(
            f"run {thread_id} was started with other {', '.join(changed)}: "
            "repeat its arguments to continue it, or choose a new --thread-id"
        )


def _drive(
    graph: CompiledStateGraph,
    thread_id: str,
    payload: Any,
    ctx: RunContext,
    approver: Approver,
    progress: Progress,
) -> Outcome:
    config = _config(thread_id)
    while True:
        # --jobs bounds the per-target tasks LangGraph runs at once (review, blast_radius).
        bounded = {**config, "max_concurrency": workers(ctx)}
        for update in graph.stream(payload, bounded, context=ctx, stream_mode="updates"):
            for node, values in update.items():
                if node != "__interrupt__":
                    progress(node, values or {})
        request = _pending_request(graph, thread_id)
        if request is None:
            return outcome_of(graph, thread_id)
        decision = approver(request)
        if decision is None:
            return outcome_of(graph, thread_id)
        payload = Command(resume=decision.dump())


def _pending_request(graph: CompiledStateGraph, thread_id: str) -> ApprovalRequest | None:
    snapshot = graph.get_state(_config(thread_id))
    for task in snapshot.tasks:
        for interrupt in task.interrupts:
            return ApprovalRequest.model_validate(interrupt.value)
    return None


def outcome_of(graph: CompiledStateGraph, thread_id: str) -> Outcome:
    """Summarise the checkpointed state of a run."""
    snapshot = graph.get_state(_config(thread_id))
    values = snapshot.values
    if not values:
        raise RunNotFoundError(f"no run with thread id {thread_id} in this checkpointer")
    request = Request.model_validate(values["request"])
    pending = _pending_request(graph, thread_id)
    reason = values.get("reason", "")
    still = upcoming(snapshot)
    if pending is not None:
        status: RunStatus = "awaiting_approval"
    elif still:
        status = "running"
        reason = reason or _unfinished(thread_id, still)
    else:
        status = values.get("status", "running")
    scored = reviewed(values)
    shown = pending or (approval_request(values) if scored else None)
    proposals = shown.proposals if shown else []
    baseline = values.get("baseline", {})
    approved = set((values.get("decision") or {}).get("targets") or [p.target for p in proposals])
    # What became of each proposal once decided: a program reading the targets must not
    # take a dropped one (approve --target for another) for part of the result.

    def fate(target: str) -> str | None:
        if status == "accepted":
            return "approved" if target in approved else "dropped"
        return "rejected" if status == "rejected" else None

    targets = [
        {"target": p.target, "score": p.score, "original_score": p.original_score,
         "engine": p.engine, "summary": p.summary, "candidate_id": p.candidate_id,
         "terms": [t.dump() for t in p.terms], "decision": fate(p.target)}
        for p in proposals
    ]
    if status == "accepted":
        proposals = [p for p in proposals if p.target in approved]
    # The headline is the targets the outcome is about: those proposed (or approved),
    # not a target left as it was, whose unchanged score would hide the improvement.
    focus = [p.target for p in proposals] or list(request.files)
    return Outcome(
        status=status,
        thread_id=thread_id,
        threshold=request.threshold,
        files=list(request.files),
        score=min((best_score(values, t) for t in focus), default=None) if scored else None,
        original_score=min((baseline[t]["score"] for t in focus if t in baseline),
                           default=None) if scored else None,
        iterations_used=values.get("iteration", 0),
        output=where_to_write(request, ApprovalDecision.model_validate(values["decision"]))[1]
        if status == "accepted" else None,
        diff="".join(p.diff for p in proposals),
        reason=reason,
        written=values.get("written", []),
        targets=targets,
        request=pending,
        without=shown.without if shown else [],
        notes=list(dict.fromkeys([*values.get("notes", []), *untested(values)])),
        usage=dict(values.get("usage", {})),
    )


def upcoming(snapshot: StateSnapshot) -> tuple[str, ...]:
    """Return the nodes of a run still to run, or whose step is still to be saved.

    LangGraph leaves out of ``next`` the tasks whose writes it already holds: a run
    stopped after every task of a step finished, before the step was saved, has no
    next node, and is not finished either (resuming saves the step and goes on).
    """
    return snapshot.next or tuple(task.name for task in snapshot.tasks)


def _unfinished(thread_id: str, upcoming: tuple[str, ...]) -> str:
    """Say why a run with nodes still to run is not paused, and how to go on."""
    return (f"stopped before {', '.join(upcoming)} finished (or still running): "
            f"healloop resume {thread_id} continues it")


def _nothing_kept(repo: Path, checkpointer: str | None) -> bool:
    """Return whether the SQLite file runs would be kept in does not exist yet.

    Listing runs or decisions then reads nothing, and must not create the file (and
    ``.healloop/``) in a folder healloop never ran in.
    """
    location = resolve_location(checkpointer, repo)
    return location.backend == "sqlite" and not Path(location.target).exists()


def decisions(repo: Path, checkpointer: str | None) -> list[DecisionRecord]:
    """Return every approval and rejection recorded for the repository, oldest first."""
    if _nothing_kept(repo, checkpointer):
        return []
    with open_store(checkpointer, repo) as store:
        return DecisionLog(store, repo).records()


def forget(repo: Path, checkpointer: str | None) -> int:
    """Forget the decisions recorded for the repository; return how many there were."""
    if _nothing_kept(repo, checkpointer):
        return 0
    with open_store(checkpointer, repo) as store:
        return DecisionLog(store, repo).clear()


def list_runs(repo: Path, checkpointer: str | None) -> list[Outcome]:
    """Return every run checkpointed for the repository, newest first."""
    if _nothing_kept(repo, checkpointer):
        return []
    with open_checkpointer(checkpointer, repo) as saver:
        graph = build_graph(checkpointer=saver)
        seen: list[str] = []
        for item in saver.list(None):
            thread = item.config["configurable"]["thread_id"]
            if thread not in seen:
                seen.append(thread)
        outcomes = []
        for thread in seen:
            try:
                outcomes.append(outcome_of(graph, thread))
            except RunNotFoundError:
                continue
        return outcomes


def _config(thread_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}
