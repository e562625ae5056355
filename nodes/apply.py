"""apply: write the approved candidates, atomically, and only after approval.

The node may run twice for one approval: a run killed half way through it resumes
here. A file that already holds what this run recorded it would write is then its
own work, not a conflict, so the second pass finishes the first one's work; the same
content written by another run is still a conflict.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph.config import get_config

from healloop.changeset import compose
from healloop.nodes._common import (
    candidates_of,
    original_of,
    proposable,
    repo_of,
    request_of,
)
from healloop.state import ApprovalDecision, HealState, Request
from healloop.writes import form_of, locked, ours, read_source, remember, write_atomic


def apply(state: HealState) -> dict[str, Any]:
    """Write the approved change sets, composed, in place or to --output.

    Every file is checked before any is written: a file the user changed since the
    run read it, or approved changes that clash, mean nothing is written.
    """
    request = request_of(state)
    repo = repo_of(state)
    decision = ApprovalDecision.model_validate(state["decision"])
    candidates = candidates_of(state)
    best = proposable(state)
    approved = [t for t in (decision.targets or sorted(best)) if t in best]
    tree = compose([candidates[best[t]] for t in approved], lambda p: original_of(state, p))
    if tree.conflict is not None:
        return {"status": "error", "written": [],
                "reason": f"the approved changes clash in {tree.conflict}; nothing written"}
    in_place, destination = where_to_write(request, decision)
    writes: list[tuple[Path, str]] = []
    if in_place:  # each file keeps its line ends and byte-order mark
        writes = [(repo / change.path, form_of(repo / change.path).dump(change.content))
                  for change in tree.changes]
    elif destination:
        output = Path(destination)
        if output.is_dir() or not output.parent.is_dir():  # since the run checked it
            what = "a folder now" if output.is_dir() else "in a folder that is gone"
            return {"status": "error", "written": [],
                    "reason": f"--output {output} is {what}; nothing written"}
        if approved:
            content = tree.content_of(approved[0]) or ""
            writes = [(output, form_of(repo / approved[0]).dump(content))]
    with locked(repo, [path for path, _ in writes]):
        changed = [c.path for c in tree.changes] if in_place else approved
        run_id = _run_id()
        conflict = _conflict(repo, changed, state["originals"], run_id)
        if conflict and in_place:
            return {"status": "error", "written": [], "reason": f"{conflict}; nothing written"}
        if run_id:
            remember(repo, run_id, writes)
        done: list[str] = []
        for path, content in writes:
            try:
                write_atomic(path, content)
            except OSError as exc:  # a full disk, a device that refuses (/dev/full)
                wrote = f"wrote only {', '.join(done)}" if done else "nothing written"
                return {"status": "error", "written": done,
                        "reason": f"cannot write {path}: {exc.strerror or exc}; {wrote}"}
            done.append(str(path))
    return {
        "status": "accepted",
        "written": done,
        "reason": f"approved {', '.join(approved)}",
    }


def where_to_write(request: Request, decision: ApprovalDecision) -> tuple[bool, str | None]:
    """Return whether an approved change goes in place, else the file it goes to (or none).

    The decision says, else the run as it was started: ``resume --approve --output``
    overrides a run started with ``--apply``, and the other way round.
    """
    in_place = decision.apply or (request.apply and not decision.output)
    return in_place, decision.output or (None if decision.apply else request.output)


def _run_id() -> str | None:
    try:
        return get_config()["configurable"].get("thread_id")
    except RuntimeError:  # called outside a graph run
        return None


def _conflict(
    repo: Path, paths: list[str], originals: dict[str, str], run_id: str | None
) -> str | None:
    """Say which file changed since the run read it, if one did."""
    for target in paths:
        path = repo / target
        if not path.is_file():
            return f"{target} was removed since the run started"
        try:
            current = read_source(path)
        except (OSError, UnicodeDecodeError):
            return f"{target} changed since the run started (it is no longer UTF-8 text)"
        if current != originals.get(target, current) and not ours(repo, run_id, path):
            return f"{target} changed since the run started"
    return None
