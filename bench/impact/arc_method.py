"""arc-memory's analyze_component_impact as a method of the commit replay.

The graph is built with healloop's adapter (the same workarounds the product uses)
at the parent of the oldest replayed commit, from the WINDOW commits before it, and
refreshed incrementally every ``refresh_every`` replayed commits: a refresh re-reads
the last 1,000 commits for change patterns and re-analyses the code, which costs
minutes, so refreshing at every commit is out of reach. Between refreshes the graph
lags behind the baseline's sliding window; the table says how often it refreshed.
"""

from __future__ import annotations

import time
from pathlib import Path

from healloop.analysis.arc_adapter import ComponentImpact, ensure_graph


class ArcMethod:
    def __init__(self, work: Path, *, window: int, refresh_every: int) -> None:
        self.work = work
        self.window = window
        self.refresh_every = refresh_every
        self.since = refresh_every  # build at the first commit
        self.impact: ComponentImpact | None = None
        self.builds: list[tuple[float, bool]] = []
        self.failures: list[str] = []

    def at_parent(self) -> None:
        """Call after checking out a replayed commit's parent."""
        if self.since < self.refresh_every:
            self.since += 1
            return
        self.since = 1
        start = time.perf_counter()
        status = ensure_graph(self.work, commits=self.window, timeout=7200)
        if not status.ready:
            self.failures.append(status.note)
            return
        self.builds.append((time.perf_counter() - start, status.state.incremental))
        if self.impact is not None:
            self.impact.close()
        self.impact = ComponentImpact(self.work)

    def rank(self, target: str) -> list[str]:
        if self.impact is None:
            return []
        return [f for f, _ in self.impact.rank(target) if f.endswith(".py")]

    def summary(self) -> str:
        full = [s for s, inc in self.builds if not inc]
        inc = [s for s, i in self.builds if i]
        mean = sum(inc) / max(1, len(inc))
        text = (f"arc-memory graph: full build {sum(full):.0f} s, {len(inc)} incremental "
                f"refreshes (every {self.refresh_every} commits), mean {mean:.0f} s")
        if self.failures:
            text += f"; {len(self.failures)} failed: {self.failures[0]}"
        return text
