"""apply: write the approved candidates, atomically, and only after approval.

The node may run twice for one approval: a run killed half way through it resumes
here. A target that already holds the approved content is then ours, not a
conflict, so the second pass finishes the first one's work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from healloop.nodes._common import candidates_of, proposable, repo_of, request_of
from healloop.state import ApprovalDecision, HealState
from healloop.writes import locked, write_atomic


def apply(state: HealState) -> dict[str, Any]:
    """Write each approved target in place or to --output; refuse on conflicts."""
    request = request_of(state)
    repo = repo_of(state)
    decision = ApprovalDecision.model_validate(state["decision"])
    candidates = candidates_of(state)
    best = proposable(state)
    approved = [t for t in (decision.targets or sorted(best)) if t in best]
    writes: list[tuple[Path, str]] = []
    for target in approved:
        candidate = candidates[best[target]]
        if request.apply:
            writes.extend((repo / change.path, change.content) for change in candidate.changes)
        elif request.output:
            writes.append((Path(request.output), candidate.content_of(target) or ""))
    with locked(repo, [path for path, _ in writes]):
        conflict = _conflict(repo, approved, state["originals"], dict(writes))
        if conflict and request.apply:
            return {"status": "error", "written": [], "reason": f"{conflict}; nothing written"}
        for path, content in writes:
            write_atomic(path, content)
    return {
        "status": "accepted",
        "written": [str(p) for p, _ in writes],
        "reason": f"approved {', '.join(approved)}",
    }


def _conflict(
    repo: Path, targets: list[str], originals: dict[str, str], new: dict[Path, str]
) -> str | None:
    """Say which target changed since review read it, if one did."""
    for target in targets:
        path = repo / target
        if not path.is_file():
            return f"{target} was removed since the run started"
        current = path.read_text(encoding="utf-8", errors="replace")
        if current not in (originals[target], new.get(path)):
            return f"{target} changed since the run started"
    return None
