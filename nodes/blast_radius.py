"""blast_radius: what a change to one target can break.

The graph fans out one blast radius per target (LangGraph ``Send``), in parallel
with the reviews.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from healloop.analysis.blast import analyse
from healloop.analysis.test_impact import NO_TESTS
from healloop.state import TargetTask


def blast_radius(state: TargetTask) -> dict[str, Any]:
    """Work out the dependents, tests and history of the target the fan-out sent."""
    target = state["target"]
    radius = analyse(Path(state["request"]["repo"]), target)
    # The run says so too: its candidates pass no test gate, whatever the suite checks.
    untested = [note for note in radius.notes if note.startswith(NO_TESTS)]
    return {"blast_radius": {target: radius.dump()}, **({"notes": untested} if untested else {})}
