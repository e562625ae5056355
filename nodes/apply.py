"""apply: write the approved candidates, atomically, and only after approval."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from healloop.nodes._common import candidates_of, proposable, repo_of, request_of
from healloop.state import ApprovalDecision, HealState


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
            for change in candidate.changes:
                writes.append((repo / change.path, change.content))
        elif request.output:
            writes.append((Path(request.output), candidate.content_of(target) or ""))
    for target in approved:
        current = (repo / target).read_text(encoding="utf-8")
        if request.apply and current != state["originals"][target]:
            return {"status": "error", "written": [],
                    "reason": f"{target} changed since the run started; nothing written"}
    for path, content in writes:
        write_atomic(path, content)
    return {
        "status": "accepted",
        "written": [str(p) for p, _ in writes],
        "reason": f"approved {', '.join(approved)}",
    }


def write_atomic(path: Path, content: str) -> None:
    """Replace path with content so that a crash leaves the old or the new file."""
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".healloop")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
