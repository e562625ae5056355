"""The one place healloop talks to arc-memory 0.7.4, and every workaround it needs.

arc-memory builds a temporal knowledge graph of a repository (commits, files, the
modules they import, change patterns) that healloop reads for the decision trail,
the history of an entity and co-change. Version 0.7.4 has defects that would put
data in the user's home folder, break on a second open, or return wrong answers, so
each is contained here and pinned by ``tests/test_arc_adapter.py`` (a test fails the
day upstream fixes one, so the workaround can go):

1. ``Arc.build`` ignores the database path and writes ``~/.arc/graph.db``: we call
   ``refresh_knowledge_graph`` with ``db_path`` under ``<repo>/.healloop/arc/``.
2. ``compress_db`` and the SDK cache also write under ``~/.arc``, whatever the
   database path: builds run in a child process whose HOME is
   ``<repo>/.healloop/arc/home``, and queries never enable the cache.
3. The first build cannot save ingestor metadata because the database's folder does
   not exist yet: we create it first.
4. Its migrations run after index creation, so the SDK cannot open a database the
   builder wrote ("no such column: repo_id"): we run the migrations after each build.
5. The git ingestor reads only commits of the last 365 days *from today*: we pass
   our own window (a commit count, like the rest of healloop's history).
6. Change-pattern ids are ``hash(files)``, which changes every process, so each
   refresh duplicates patterns: the child runs with ``PYTHONHASHSEED=0``.
7. ``analyze_component_impact`` passes strings where ``EdgeRel`` is expected, so its
   co-change part fails: the adapter it is given accepts both.
8. The SDK cache returns the ``str()`` of results instead of results: never enabled.
9. The decision trail runs ``git blame`` in the process's working directory: we
   blame with ``cwd=repo`` and walk the graph from the commit ourselves.
10. SQLite connections are bound to the thread that opened them, and LangGraph runs
    nodes in worker threads: reads open their own connection per call.
11. The git ingestor reads GitPython's ``Commit.stats`` 2 + 2 x (files changed) times
    per commit and the change-pattern ingestor 3 times for each of the last 1,000
    commits, and ``stats`` is an uncached property that runs one ``git diff`` per
    read: on sqlalchemy, 3,000 commits cost ~60,000 ``git`` processes (~1,600 s).
    The child reads the same stats for the commits both ingestors walk from a single
    ``git log`` and makes ``stats`` return them (other commits are computed once
    each, the upstream way); the graph is the same, built in a fraction of the time.

Importing arc-memory takes seconds (it imports openai and more), so nothing here
imports it at module level; the builder runs in a child process, and reads use
plain ``sqlite3`` on the graph it wrote.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from healloop.analysis import history as git_history
from healloop.checkpoint import state_folder
from healloop.locks import held

BUILD_COMMITS = 3000
"""Commits the git ingestor reads on a full build (upstream: the last 365 days)."""
BUILD_TIMEOUT = 1800.0


def arc_dir(repo: Path) -> Path:
    """Return the folder holding the repository's knowledge graph."""
    return repo / ".healloop" / "arc"


def db_path(repo: Path) -> Path:
    """Return the path of the repository's knowledge-graph database."""
    return arc_dir(repo) / "graph.db"


@dataclass
class GraphState:
    """What the last build left: for which commit, how big, how long it took."""

    head: str
    nodes: int = 0
    edges: int = 0
    seconds: float = 0.0
    incremental: bool = False
    built_at: float = 0.0


@dataclass
class GraphStatus:
    """The outcome of making sure the graph is current."""

    ready: bool
    state: GraphState | None = None
    note: str = ""
    rebuilt: bool = False


def read_state(repo: Path) -> GraphState | None:
    """Return the state of the last successful build, or None."""
    path = arc_dir(repo) / "state.json"
    if not path.exists() or not db_path(repo).exists():
        return None
    try:
        return GraphState(**json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, TypeError):
        return None


def ensure_graph(repo: Path, *, build: bool = True, commits: int = BUILD_COMMITS,
                 timeout: float = BUILD_TIMEOUT) -> GraphStatus:
    """Return a graph current with HEAD, building or refreshing it when HEAD moved.

    Args:
        repo: The repository.
        build: Whether to build the graph if none exists yet (a refresh of an
            existing graph always happens when HEAD moved).
        commits: How many commits a full build ingests.
        timeout: Seconds the build may take.

    Returns:
        The status; when not ready, ``note`` says why, for the report.

    """
    repo = repo.resolve()
    head, why = git_history.git_state(repo)
    if head is None:
        return GraphStatus(False, note=f"knowledge graph off: {why.split(':')[0]}")
    if why:  # shallow: what the graph would say about history is incomplete
        return GraphStatus(False, note="knowledge graph off: shallow clone")
    state = read_state(repo)
    if state is not None and state.head == head:
        return GraphStatus(True, state)
    if state is None and not build:
        return GraphStatus(
            False, note="knowledge graph not built (healloop impact --knowledge-graph builds it)")
    state_folder(repo)  # healloop's folder, git-ignored
    arc_dir(repo).mkdir(exist_ok=True)  # workaround 3
    # One build at a time per repository: parallel nodes (one per target) would
    # otherwise ingest into the same database at once.
    with held(arc_dir(repo) / "build.lock"):
        state = read_state(repo)
        if state is not None and state.head == head:
            return GraphStatus(True, state)
        return _run_build(repo, state, commits, timeout)


def _run_build(repo: Path, state: GraphState | None, commits: int, timeout: float
               ) -> GraphStatus:
    """Build or refresh the graph in a child process; return the outcome."""
    env = {
        **os.environ,
        "HOME": str(arc_dir(repo) / "home"),  # workaround 2
        "PYTHONHASHSEED": "0",  # workaround 6
        "ARC_DB_PATH": str(db_path(repo)),
        # The repository's own packages must not shadow arc-memory's imports (a repo
        # named requests would replace the requests library it uses).
        "PYTHONSAFEPATH": "1",
    }
    cmd = [sys.executable, "-m", "healloop.analysis.arc_adapter", "build", str(repo),
           "--commits", str(commits)]
    try:
        proc = subprocess.run(cmd, cwd=arc_dir(repo), env=env, capture_output=True,
                              text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return GraphStatus(False, state, note=f"knowledge graph build timed out after "
                                              f"{timeout:.0f} s")
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1][:200]
        return GraphStatus(False, state, note=f"knowledge graph build failed: {tail}")
    new = read_state(repo)
    if new is None:
        return GraphStatus(False, note="knowledge graph build left no state")
    return GraphStatus(True, new, rebuilt=True)


# ---------------------------------------------------------------------------
# The builder (runs in a child process, see ensure_graph)


def _build(repo: Path, commits: int) -> GraphState:
    """Build or refresh the graph of repo at HEAD; run only in the child process."""
    import arc_memory.sql.db as arc_db
    from arc_memory.auto_refresh.core import refresh_knowledge_graph
    from arc_memory.ingest.git import GitIngestor
    from git.objects.commit import Commit

    db = db_path(repo)
    db.parent.mkdir(parents=True, exist_ok=True)
    arc_db.DEFAULT_COMPRESSED_DB_PATH = db.with_suffix(".db.zst")  # workaround 2
    defaults = list(GitIngestor.ingest.__defaults__ or ())
    GitIngestor.ingest.__defaults__ = (commits, 365 * 100, *defaults[2:])  # workaround 5
    previous = read_state(repo)
    # Workaround 11: the git ingestor walks up to `commits` commits on a full build
    # (those since the last build on a refresh), the change-pattern one the last 1,000.
    walked = CHANGE_PATTERN_COMMITS if previous else max(commits, CHANGE_PATTERN_COMMITS)
    setattr(Commit, "stats", _cached_stats(_commit_stats(repo, walked)))  # noqa: B010
    head = git_history.git(repo, "rev-parse", "HEAD").strip()
    start = time.perf_counter()
    result = refresh_knowledge_graph(
        repo, db_path=str(db), include_github=False, include_linear=False,
        include_architecture=True, use_llm=False, repo_id=_repo_id(repo),
    )
    _migrate(db)  # workaround 4
    state = GraphState(
        head=head, seconds=round(time.perf_counter() - start, 2),
        incremental=previous is not None, built_at=time.time(),
        **_counts(db),
    )
    del result
    (db.parent / "state.json").write_text(json.dumps(asdict(state)), encoding="utf-8")
    return state


CHANGE_PATTERN_COMMITS = 1000
"""Commits arc-memory's change-pattern ingestor reads from HEAD on every build."""


def _commit_stats(repo: Path, count: int) -> dict[str, Any]:
    """Return sha -> GitPython ``Stats`` of the last count commits of HEAD (workaround 11).

    One ``git log`` yields, for every commit, the lines GitPython's ``Commit.stats``
    gets from its own ``git diff --numstat --no-renames --raw`` (first parent; the root
    commit against the empty tree), and they go through the same parsing. {} when git
    cannot (the ingestors then compute stats the upstream way).
    """
    from git import Repo
    from git.util import Stats

    try:
        git_repo = Repo(repo)
        out = git_repo.git.log(
            f"--max-count={count}", "--no-renames", "--raw", "--numstat", "--root",
            "--diff-merges=first-parent", "--no-color", "--no-ext-diff",
            "--format=format:%x01%H", "HEAD")
    except Exception:  # noqa: BLE001 - an optimisation only: fall back to upstream
        return {}
    lines_of: dict[str, list[str]] = {}
    current: list[str] = []
    for line in out.splitlines():
        if line.startswith("\x01"):
            current = lines_of.setdefault(line[1:], [])
        elif line:
            current.append(line)
    stats = {}
    for sha, lines in lines_of.items():
        # As GitPython's Commit.stats: the --raw lines, then the --numstat ones.
        text = ""
        for file_info, line in zip(lines, lines[len(lines) // 2:], strict=False):
            change_type = file_info.split("\t")[0][-1]
            insertions, deletions, filename = line.split("\t")
            text += f"{change_type}\t{insertions}\t{deletions}\t{filename}\n"
        stats[sha] = Stats._list_from_string(git_repo, text)
    return stats


def _cached_stats(known: dict[str, Any]) -> property:
    """Return a ``Commit.stats`` that reads known, computing the rest once each."""
    from git.objects.commit import Commit

    upstream = Commit.__dict__["stats"]

    def stats(commit: Any) -> Any:
        found = known.get(commit.hexsha)
        if found is None:
            found = known[commit.hexsha] = upstream.fget(commit)
        return found

    return property(stats, doc=upstream.__doc__)


def _repo_id(repo: Path) -> str:
    import hashlib

    return f"repository:{hashlib.md5(str(repo.absolute()).lower().encode()).hexdigest()}"


def _migrate(db: Path) -> None:
    """Bring a builder-written database to the schema the SDK opens (workaround 4)."""
    from arc_memory.migrations import (
        add_architecture_schema,
        add_enhanced_schema,
        add_repo_id_column,
        add_timestamp_column,
    )

    add_timestamp_column.migrate_database(db)
    add_repo_id_column.migrate_database(db)
    add_architecture_schema.migrate_database(db)
    add_enhanced_schema.migrate_database(str(db))


def _counts(db: Path) -> dict[str, int]:
    with _connect(db) as conn:
        nodes = conn.execute("SELECT COUNT(*) FROM nodes").fetchone()[0]
        edges = conn.execute("SELECT COUNT(*) FROM edges").fetchone()[0]
    return {"nodes": nodes, "edges": edges}


# ---------------------------------------------------------------------------
# Reads: plain sqlite3, one connection per call (workaround 10)


class _Connection:
    def __init__(self, db: Path) -> None:
        self.conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        self.conn.row_factory = sqlite3.Row

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


def _connect(db: Path) -> _Connection:
    return _Connection(db)


@dataclass
class TrailEntry:
    """An entity of the graph on the decision trail of a line: commit, PR, issue, ADR."""

    id: str
    type: str
    title: str
    timestamp: str | None = None


@dataclass
class EntityHistory:
    """The commits the graph knows touched a file, oldest and newest."""

    commits: int = 0
    first: str | None = None
    last: str | None = None
    titles: list[str] = field(default_factory=list)


def decision_trail(repo: Path, commit: str, *, hops: int = 2, limit: int = 5
                   ) -> list[TrailEntry]:
    """Return the graph's entities around a commit (PRs, issues, ADRs), nearest first.

    The commit comes from our own ``git blame`` run in the repository (workaround 9).
    """
    start = f"commit:{commit}"
    seen = {start}
    frontier = [start]
    out: list[TrailEntry] = []
    with _connect(db_path(repo)) as conn:
        for _ in range(hops):
            nxt = []
            for node_id in frontier:
                rows = conn.execute(
                    "SELECT dst AS other FROM edges WHERE src = ? AND rel != 'MODIFIES' "
                    "UNION SELECT src AS other FROM edges WHERE dst = ? AND rel != 'MODIFIES'",
                    (node_id, node_id)).fetchall()
                for row in rows:
                    if row["other"] not in seen:
                        seen.add(row["other"])
                        nxt.append(row["other"])
            for node_id in nxt:
                node = conn.execute("SELECT id, type, title, timestamp FROM nodes WHERE id = ?",
                                    (node_id,)).fetchone()
                if node is not None and node["type"] in ("pr", "issue", "adr", "commit"):
                    out.append(TrailEntry(node["id"], node["type"], node["title"] or "",
                                          node["timestamp"]))
            frontier = nxt
    return out[:limit]


def entity_history(repo: Path, path: str) -> EntityHistory:
    """Return what the graph knows of the commits that modified path."""
    with _connect(db_path(repo)) as conn:
        rows = conn.execute(
            "SELECT n.title, n.timestamp FROM edges e JOIN nodes n ON n.id = e.src "
            "WHERE e.dst = ? AND e.rel = 'MODIFIES' ORDER BY n.timestamp",
            (f"file:{path}",)).fetchall()
    if not rows:
        return EntityHistory()
    return EntityHistory(len(rows), rows[0]["timestamp"], rows[-1]["timestamp"],
                         [r["title"] or "" for r in rows[-3:]])


def co_changes(repo: Path, path: str) -> dict[str, int]:
    """Return file -> commits of the graph that modified it together with path."""
    with _connect(db_path(repo)) as conn:
        rows = conn.execute(
            "SELECT other.dst AS file FROM edges mine JOIN edges other "
            "ON other.src = mine.src AND other.rel = 'MODIFIES' "
            "WHERE mine.dst = ? AND mine.rel = 'MODIFIES' AND other.dst != mine.dst",
            (f"file:{path}",)).fetchall()
    return dict(Counter(r["file"].removeprefix("file:") for r in rows))


# ---------------------------------------------------------------------------
# The SDK's own impact analysis, for comparison (imports arc-memory)


class _EnumSafeAdapter:
    """Wrap the SDK's SQLite adapter so string relation types work (workaround 7)."""

    def __init__(self, inner: Any) -> None:
        from arc_memory.schema.models import EdgeRel

        self._inner = inner
        self._rel = EdgeRel

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def get_edges_by_src(self, src_id: str, rel_type: Any = None) -> list[dict[str, Any]]:
        rel = self._rel(rel_type) if isinstance(rel_type, str) else rel_type
        return self._inner.get_edges_by_src(src_id, rel)

    def get_edges_by_dst(self, dst_id: str, rel_type: Any = None) -> list[dict[str, Any]]:
        rel = self._rel(rel_type) if isinstance(rel_type, str) else rel_type
        return self._inner.get_edges_by_dst(dst_id, rel)


class ComponentImpact:
    """arc-memory's ``analyze_component_impact`` on the repository's graph.

    Opens the SDK in this process (seconds of imports), so it is for the benchmark
    and for users who ask for it, not for the default analysis.
    """

    def __init__(self, repo: Path) -> None:
        """Open the SDK on the graph under repo/.healloop/arc (build it first)."""
        from arc_memory.db.sqlite_adapter import SQLiteAdapter

        adapter = SQLiteAdapter()
        adapter.connect({"db_path": str(db_path(repo)), "check_exists": True})
        adapter.conn.close()
        # Workaround 10: a connection any thread may use (reads only).
        adapter.conn = sqlite3.connect(str(db_path(repo)), check_same_thread=False)
        adapter.conn.row_factory = sqlite3.Row
        self._adapter = _EnumSafeAdapter(adapter)

    def rank(self, path: str, *, max_depth: int = 2) -> list[tuple[str, float]]:
        """Return (file, impact score) for path, highest first; [] when unknown."""
        from arc_memory.sdk.errors import QueryError
        from arc_memory.sdk.impact import analyze_component_impact

        try:
            results = analyze_component_impact(  # workaround 8: cache off
                self._adapter, f"file:{path}", max_depth=max_depth, cache=False)
        except QueryError:
            return []
        best: dict[str, float] = {}
        for result in results:
            if result.id.startswith("file:"):
                file = result.id.removeprefix("file:")
                best[file] = max(best.get(file, 0.0), float(result.impact_score))
        return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))

    def close(self) -> None:
        """Close the connection."""
        self._adapter._inner.conn.close()


def exit_with_parent(poll: float = 1.0) -> None:
    """End this process when the one that started it ends (a daemon thread watches).

    The builder writes the repository's graph under a lock its parent holds: killed,
    the parent frees the lock while an orphaned builder would go on writing, under
    the next build.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll)
        os._exit(3)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "build":
        exit_with_parent()
        commits = int(argv[argv.index("--commits") + 1]) if "--commits" in argv else \
            BUILD_COMMITS
        state = _build(Path(argv[1]).resolve(), commits)
        print(json.dumps(asdict(state)))
        return 0
    print("usage: python -m healloop.analysis.arc_adapter build REPO [--commits N]",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
