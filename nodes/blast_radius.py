"""blast_radius: what a change to each target can break."""

from __future__ import annotations

from typing import Any

from healloop.analysis.blast import analyse
from healloop.nodes._common import repo_of, request_of
from healloop.state import HealState


def blast_radius(state: HealState) -> dict[str, Any]:
    """Work out the dependents, tests and history of every target."""
    repo = repo_of(state)
    return {
        "blast_radius": {
            target: analyse(repo, target).dump() for target in request_of(state).files
        }
    }
