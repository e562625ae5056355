"""The arc-memory adapter: the graph lives in the repository, and each upstream defect
is pinned, so the day arc-memory fixes one a test here fails and the workaround goes.

Importing arc-memory takes seconds and a build runs a child process, so these are slow.
"""

from __future__ import annotations

import inspect
import sqlite3
import subprocess
import threading
from collections import Counter
from pathlib import Path

import pytest

from healloop.analysis import arc_adapter
from healloop.analysis.blast import analyse

pytestmark = pytest.mark.slow


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.com", *args],
        cwd=repo, check=True, capture_output=True, text=True,
    ).stdout


def commit(repo: Path, message: str, files: dict[str, str]) -> str:
    for rel, text in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(repo, "add", "--", *files)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, home: Path) -> Path:
    """A small repository whose graph was built once, with HOME pointing elsewhere."""
    repo = tmp_path_factory.mktemp("proj")
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "Add core", {"app/__init__.py": "", "app/core.py": "def area(w, h):\n"
                              "    return w * h\n", "app/settings.py": "SCALE = 1\n",
                              # A package named like a library arc-memory imports.
                              "requests/__init__.py": "raise ImportError('shadowed')\n"})
    commit(repo, "Scale", {"app/core.py": "def area(w, h, s=1):\n    return w * h * s\n",
                           "app/settings.py": "SCALE = 2\n"})
    commit(repo, "Use core", {"app/view.py": "from app.core import area\n\narea(1, 2)\n",
                              "app/core.py": "def area(w, h, s=1):\n    return w * h * s\n\n"
                              "UNIT = 'm'\n", "app/settings.py": "SCALE = 3\n"})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        status = arc_adapter.ensure_graph(repo)
    assert status.ready, status.note
    return repo


# -- behaviour


def test_repository_packages_do_not_shadow_arc_memory_imports(built: Path) -> None:
    assert arc_adapter.read_state(built) is not None


def test_graph_is_built_inside_the_repository_never_in_home(built: Path, home: Path) -> None:
    assert arc_adapter.db_path(built).exists()
    assert not (home / ".arc").exists()
    assert (built / ".healloop" / ".gitignore").read_text() == "*\n"


def test_current_graph_is_not_rebuilt(built: Path) -> None:
    status = arc_adapter.ensure_graph(built)
    assert status.ready and not status.rebuilt


def test_graph_knows_history_and_co_change_of_a_file(built: Path) -> None:
    history = arc_adapter.entity_history(built, "app/core.py")
    assert history.commits == 3
    assert sorted(history.titles) == ["Add core", "Scale", "Use core"]
    assert arc_adapter.co_changes(built, "app/core.py")["app/settings.py"] == 3


def test_blast_radius_uses_the_graph_and_says_so(built: Path) -> None:
    radius = analyse(built, "app/core.py")
    assert any(n.startswith("knowledge graph at") and "3 commit(s) modified app/core.py" in n
               for n in radius.notes), radius.notes


def test_moving_head_refreshes_incrementally_once(built: Path) -> None:
    head = commit(built, "More", {"app/core.py": "def area(w, h, s=1):\n    return w*h*s\n"})
    statuses: list[arc_adapter.GraphStatus] = []
    workers = [threading.Thread(target=lambda: statuses.append(arc_adapter.ensure_graph(built)))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert all(s.ready for s in statuses), [s.note for s in statuses]
    assert sorted(s.rebuilt for s in statuses) == [False, True]
    status = next(s for s in statuses if s.rebuilt)
    assert status.state is not None
    assert status.state.head == head and status.state.incremental
    assert arc_adapter.entity_history(built, "app/core.py").commits == 4


def test_without_git_the_run_goes_on_and_says_why(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("X = 1\n")
    status = arc_adapter.ensure_graph(tmp_path)
    assert not status.ready
    assert status.note == "knowledge graph off: not a git repository"


def test_shallow_clone_is_refused_with_a_note(built: Path, tmp_path: Path) -> None:
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{built}", str(shallow))
    status = arc_adapter.ensure_graph(shallow)
    assert not status.ready and "shallow clone" in status.note
    assert not arc_adapter.db_path(shallow).exists()


def test_unbuilt_graph_is_only_built_on_request(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    commit(tmp_path, "one", {"a.py": "A = 1\n"})
    radius = analyse(tmp_path, "a.py")
    assert "knowledge graph not built (healloop impact --knowledge-graph builds it)" \
        in radius.notes
    assert not arc_adapter.db_path(tmp_path).exists()


def test_impact_builds_the_graph_on_request_and_later_calls_use_it(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from healloop.main import app

    git(tmp_path, "init", "-q")
    commit(tmp_path, "Add a", {"a.py": "A = 1\n"})
    commit(tmp_path, "Change a", {"a.py": "A = 2\n"})

    def notes(*flags: str) -> list[str]:
        result = CliRunner().invoke(app, ["impact", "a.py", "--repo", str(tmp_path), *flags])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["notes"]

    built = notes("--knowledge-graph")
    assert any(n.startswith("knowledge graph at") and "built in" in n for n in built), built
    assert arc_adapter.db_path(tmp_path).exists()
    again = notes()
    assert any("2 commit(s) modified a.py" in n for n in again), again


def test_component_impact_works_from_another_thread(built: Path) -> None:
    impact = arc_adapter.ComponentImpact(built)
    found: list = []
    worker = threading.Thread(target=lambda: found.append(impact.rank("app/core.py")))
    worker.start()
    worker.join()
    impact.close()
    assert ("app/settings.py", pytest.approx(found[0][0][1])) in found[0]


# -- upstream defects, pinned (numbers as in the adapter's docstring)


def test_defect_1_build_ignores_the_database_path() -> None:
    from arc_memory.sdk import Arc

    assert "db_path" not in inspect.signature(Arc.build).parameters
    assert "db_path" not in inspect.getsource(Arc.build)


def test_defect_2_compressed_copy_and_cache_default_to_home() -> None:
    import arc_memory.sql.db as arc_db
    from arc_memory.sdk import cache

    assert arc_db.DEFAULT_COMPRESSED_DB_PATH == Path.home() / ".arc" / "graph.db.zst"
    assert "ensure_arc_dir()" in inspect.getsource(cache.get_cache_dir)


def test_defect_3_first_build_cannot_save_metadata_without_its_folder(tmp_path: Path) -> None:
    from arc_memory.auto_refresh.core import save_ingestor_metadata

    assert save_ingestor_metadata("git", {"last": "x"}, str(tmp_path / "no" / "g.db")) is False


def test_defect_4_sdk_cannot_open_what_the_builder_wrote(tmp_path: Path) -> None:
    from arc_memory.db.sqlite_adapter import SQLiteAdapter
    from arc_memory.errors import DatabaseError
    from arc_memory.sql.db import init_db

    db = tmp_path / "graph.db"
    init_db(db).close()
    adapter = SQLiteAdapter()
    adapter.connect({"db_path": str(db)})
    with pytest.raises(DatabaseError, match="no such column: repo_id"):
        adapter.init_db()
    adapter.disconnect()
    arc_adapter._migrate(db)  # the workaround
    adapter.connect({"db_path": str(db)})
    adapter.init_db()
    adapter.disconnect()


def test_defect_5_git_ingestor_reads_only_the_last_year() -> None:
    from arc_memory.ingest.git import GitIngestor

    assert inspect.signature(GitIngestor.ingest).parameters["days"].default == 365


def test_defect_6_change_pattern_ids_hash_with_the_process_seed() -> None:
    from arc_memory.ingest.change_patterns import ChangePatternIngestor

    ingestor = ChangePatternIngestor()
    history = [{"sha": str(i), "files": ["a.py", "b.py"], "message": "m", "author": "x",
                "insertions": 1, "deletions": 1, "timestamp": None} for i in range(3)]
    nodes, _ = ingestor._analyze_change_patterns(history, "none")
    files = frozenset(["a.py", "b.py"])
    assert [n.id for n in nodes] == [f"pattern:co_change:{hash(files)}"]


def test_defect_7_impact_passes_strings_where_enums_are_expected(built: Path) -> None:
    from arc_memory.db.sqlite_adapter import SQLiteAdapter

    adapter = SQLiteAdapter()
    adapter.connect({"db_path": str(arc_adapter.db_path(built))})
    with pytest.raises(AttributeError, match="'str' object has no attribute 'value'"):
        adapter.get_edges_by_dst("file:app/core.py", rel_type="MODIFIES")
    wrapped = arc_adapter._EnumSafeAdapter(adapter)
    assert wrapped.get_edges_by_dst("file:app/core.py", rel_type="MODIFIES")
    adapter.disconnect()


def test_defect_8_cache_returns_strings(built: Path, tmp_path: Path, monkeypatch) -> None:
    from arc_memory.sdk.impact import analyze_component_impact

    monkeypatch.setenv("HOME", str(tmp_path))
    adapter = arc_adapter.ComponentImpact(built)._adapter
    first = analyze_component_impact(adapter, "file:app/core.py", cache=True)
    second = analyze_component_impact(adapter, "file:app/core.py", cache=True)
    assert first and not isinstance(first[0], str)
    assert second and all(isinstance(r, str) for r in second)
    assert (tmp_path / ".arc" / "cache").is_dir()


def test_defect_9_decision_trail_blames_in_the_working_directory(
    built: Path, tmp_path: Path, monkeypatch
) -> None:
    from arc_memory.trace import trace_history

    conn = sqlite3.connect(arc_adapter.db_path(built))
    monkeypatch.chdir(tmp_path)
    assert trace_history(conn, "app/core.py", 1) == []
    monkeypatch.chdir(built)
    assert trace_history(conn, "app/core.py", 1)
    conn.close()


def test_defect_10_sdk_connection_is_bound_to_its_thread(built: Path) -> None:
    from arc_memory.db.sqlite_adapter import SQLiteAdapter

    adapter = SQLiteAdapter()
    adapter.connect({"db_path": str(arc_adapter.db_path(built))})
    errors: list[BaseException] = []

    def use() -> None:
        try:
            adapter.conn.execute("SELECT 1")
        except sqlite3.ProgrammingError as exc:
            errors.append(exc)

    worker = threading.Thread(target=use)
    worker.start()
    worker.join()
    adapter.disconnect()
    assert errors and "thread" in str(errors[0])


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Commits of every shape a diff has: root, binary, mode change, deletion, rename,
    odd names, an empty commit and a merge whose first-parent diff is not its own."""
    repo = tmp_path_factory.mktemp("history")
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "Root", {"a.py": "A = 1\n", "b.py": "B = 1\n", "docs/x y.txt": "x\n"})
    (repo / "logo.bin").write_bytes(bytes(range(256)))
    (repo / "b.py").chmod(0o755)
    commit(repo, "Binary and mode", {"a.py": "A = 2\nA2 = 3\n", "naïve café.py": "N = 1\n",
                                     "tab\there.py": "T = 1\n"})
    git(repo, "add", "logo.bin", "b.py")
    git(repo, "commit", "-q", "-m", "Binary and mode, staged")
    git(repo, "mv", "docs/x y.txt", "docs/moved.txt")
    git(repo, "rm", "-q", "b.py")
    git(repo, "commit", "-q", "-m", "Rename and delete")
    git(repo, "commit", "-q", "--allow-empty", "-m", "Empty")
    git(repo, "checkout", "-q", "-b", "side")
    commit(repo, "Side 1", {"side.py": "S = 1\n"})
    commit(repo, "Side 2", {"side.py": "S = 2\n", "a.py": "A = 3\n"})
    git(repo, "checkout", "-q", "main")
    commit(repo, "Main", {"main.py": "M = 1\n"})
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge side", "side")
    return repo


def _reads_of_stats(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count upstream Commit.stats computations (each one runs git) from now on."""
    from git.objects.commit import Commit

    upstream = Commit.__dict__["stats"]
    reads: list[str] = []

    def counting(commit: object) -> object:
        reads.append(commit.hexsha)  # type: ignore[attr-defined]
        return upstream.fget(commit)

    monkeypatch.setattr(Commit, "stats", property(counting))
    return reads


def test_defect_11_git_ingestors_run_git_for_every_read_of_commit_stats(
    history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arc_memory.ingest.change_patterns import ChangePatternIngestor
    from arc_memory.ingest.git import GitIngestor
    from git import Repo

    commits = list(Repo(history).iter_commits())
    assert commits[0].stats is not commits[0].stats  # GitPython: uncached, one git each
    files = {c.hexsha: len(c.stats.files) for c in commits}
    reads = _reads_of_stats(monkeypatch)
    GitIngestor().ingest(history, max_commits=100, days=36500)
    assert Counter(reads) == {sha: 2 + 2 * n for sha, n in files.items()}
    reads.clear()
    ChangePatternIngestor()._get_commit_history(history)
    assert Counter(reads) == dict.fromkeys(files, 3)
    # The adapter's prefill assumes this window.
    assert f"max_count={arc_adapter.CHANGE_PATTERN_COMMITS})" in inspect.getsource(
        ChangePatternIngestor._get_commit_history)


def test_batched_commit_stats_are_gitpython_s_own(history: Path) -> None:
    from git import Repo

    batched = arc_adapter._commit_stats(history, 100)
    commits = list(Repo(history).iter_commits())
    assert set(batched) == {c.hexsha for c in commits}
    for c in commits:
        assert (batched[c.hexsha].total, batched[c.hexsha].files) == \
            (c.stats.total, c.stats.files), c.summary
    merge = commits[0]
    assert set(batched[merge.hexsha].files) == {"side.py", "a.py"}
    assert set(arc_adapter._commit_stats(history, 2)) == {merge.hexsha, commits[1].hexsha}


def test_ingestors_read_batched_stats_and_build_the_same_graph(
    history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arc_memory.ingest.change_patterns import ChangePatternIngestor
    from arc_memory.ingest.git import GitIngestor
    from git.objects.commit import Commit

    def ingest() -> tuple[list, list, list]:
        nodes, edges, _ = GitIngestor().ingest(history, max_commits=100, days=36500)
        patterns = ChangePatternIngestor()._get_commit_history(history)
        return ([n.model_dump() for n in nodes], [e.model_dump() for e in edges],
                patterns)

    upstream = ingest()
    reads = _reads_of_stats(monkeypatch)
    # All but the oldest commit batched: that one is computed upstream's way, once.
    monkeypatch.setattr(Commit, "stats", arc_adapter._cached_stats(
        arc_adapter._commit_stats(history, 8)))
    assert ingest() == upstream
    assert len(reads) == 1


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_builder_whose_parent_dies_stops_instead_of_writing_under_the_next_build() -> None:
    import sys
    import time

    # The parent starts the child, waits until it watches, prints its pid and dies.
    child = ("from healloop.analysis.arc_adapter import exit_with_parent; "
             "exit_with_parent(0.05); print('watching', flush=True); "
             "import time; time.sleep(60)")
    parent = ("import subprocess, sys; "
              f"p = subprocess.Popen([sys.executable, '-c', {child!r}], "
              "stdout=subprocess.PIPE, stderr=subprocess.DEVNULL); "
              "p.stdout.readline(); print(p.pid)")
    pid = int(subprocess.run([sys.executable, "-c", parent], capture_output=True,
                             text=True, check=True, timeout=30).stdout)
    deadline = time.monotonic() + 20
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)
