"""History: co-change, decision trail, and honest notes when history is missing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import write_repo

from healloop.analysis.blast import analyse
from healloop.analysis.history import History, follow_renames, read_log
from healloop.analysis.imports import build_graph
from healloop.analysis.related import WEIGHTS, related_files
from healloop.analysis.vocab import build_vocabulary


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True,
        env={"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com",
             "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.com",
             "GIT_AUTHOR_DATE": "2024-05-01T12:00:00Z",
             "GIT_COMMITTER_DATE": "2024-05-01T12:00:00Z", "HOME": str(repo),
             "PATH": "/usr/bin:/bin:/usr/local/bin"},
    ).stdout


def commit(repo: Path, message: str, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(repo, "add", "--", *files)
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit(root, "Add core and its user", {
        "app/__init__.py": "",
        "app/core.py": "def area(w, h):\n    return w * h\n",
        "app/view.py": "from app.core import area\n\nprint(area(1, 2))\n",
        "app/settings.py": "DEBUG = False\n",
    })
    commit(root, "Teach area about scale", {
        "app/core.py": "def area(w, h, scale=1):\n    return w * h * scale\n",
        "app/settings.py": "DEBUG = False\nSCALE = 1\n",
    })
    commit(root, "Scale from settings", {
        "app/core.py": "def area(w, h, scale=1):\n    return w * h * scale\n\n\nUNIT = 'm'\n",
        "app/settings.py": "DEBUG = False\nSCALE = 2\n",
        "app/view.py": "from app.core import area\n\nprint(area(1, 2, 3))\n",
    })
    return root


def test_files_that_change_together_are_co_changes_with_confidence(repo: Path) -> None:
    radius = analyse(repo, "app/core.py")
    rules = {c.file: (c.support, c.confidence) for c in radius.co_changes}
    assert rules["app/settings.py"] == (3, 1.0)
    assert rules["app/view.py"] == (2, pytest.approx(0.6667, abs=1e-3))


def test_decision_trail_names_the_commits_behind_the_lines(repo: Path) -> None:
    radius = analyse(repo, "app/core.py")
    trail = {d.message: d.lines for d in radius.decisions}
    assert trail == {"Teach area about scale": [1, 2], "Scale from settings": [3, 4, 5]}
    assert all(d.date == "2024-05-01" and d.author == "Ada" for d in radius.decisions)


def test_history_works_from_any_working_directory(repo: Path, monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    assert analyse(repo, "app/core.py").decisions


def test_uncommitted_lines_are_noted(repo: Path) -> None:
    (repo / "app/core.py").write_text("def area(w, h, scale=1):\n    return 0\n")
    radius = analyse(repo, "app/core.py")
    assert any("not committed yet" in n for n in radius.notes)


def test_related_files_combine_structure_and_history(repo: Path) -> None:
    radius = analyse(repo, "app/core.py")
    reasons = {r.file: r.reasons for r in radius.related}
    assert [r.file for r in radius.related][:2] in (["app/settings.py", "app/view.py"],
                                                    ["app/view.py", "app/settings.py"])
    assert reasons["app/view.py"]["importer"] == 1.0
    assert reasons["app/settings.py"]["confidence"] == 1.0


def test_a_related_file_is_explained_by_the_parts_that_moved_its_score(repo: Path) -> None:
    radius = analyse(repo, "app/core.py", knowledge_graph=False)
    settings = next(r for r in radius.related if r.file == "app/settings.py")
    assert settings.reasons and set(settings.reasons) <= set(WEIGHTS)  # no weightless part
    pull = [abs(WEIGHTS[k] * v) for k, v in settings.reasons.items()]
    assert pull == sorted(pull, reverse=True)


def test_risk_is_explained_by_its_parts(repo: Path) -> None:
    radius = analyse(repo, "app/core.py")
    assert set(radius.risk_parts) == {"fan_in", "reach", "untested", "churn",
                                      "hidden_coupling"}
    assert radius.risk_parts["untested"] == 1.0
    assert radius.risk_parts["hidden_coupling"] > 0.5  # settings.py never imports core
    assert 0 < radius.risk <= 1


def test_outside_git_history_is_off_and_said(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("X = 1\n")
    radius = analyse(tmp_path, "mod.py")
    assert "not a git repository: history off" in radius.notes
    assert radius.co_changes == [] and radius.decisions == []
    assert "churn" not in radius.risk_parts


def test_shallow_clone_is_noted(repo: Path, tmp_path: Path) -> None:
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    radius = analyse(shallow, "app/core.py")
    assert any("shallow clone" in n for n in radius.notes)


def test_a_shallow_clones_oldest_commit_is_no_decision(repo: Path, tmp_path: Path) -> None:
    commit(repo, "Bump settings", {"app/settings.py": "DEBUG = True\nSCALE = 2\n"})
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    radius = analyse(shallow, "app/core.py")
    # Blame stops at "Bump settings", which introduced none of core.py's lines.
    assert radius.decisions == []
    assert any(n.startswith("5 line(s) of app/core.py come from before the shallow clone")
               for n in radius.notes)


def test_risk_leaves_out_what_a_shallow_clone_cannot_tell(repo: Path, tmp_path: Path) -> None:
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    radius = analyse(shallow, "app/core.py")
    assert "churn" not in radius.risk_parts and "hidden_coupling" not in radius.risk_parts
    assert radius.risk == analyse(shallow, "app/core.py", history=False).risk
    assert ("risk leaves out churn and hidden coupling: history is cut short by the "
            "shallow clone") in radius.notes


def test_risk_leaves_out_what_a_single_commit_cannot_tell(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "one", {
        "app/__init__.py": "", "app/core.py": "def area(w, h):\n    return w * h\n",
        "app/view.py": "from app.core import area\n", "app/settings.py": "DEBUG = 1\n",
    })
    radius = analyse(root, "app/core.py")
    assert set(radius.risk_parts) == {"fan_in", "reach", "untested"}
    assert radius.risk == analyse(root, "app/core.py", history=False).risk
    assert ("risk leaves out churn and hidden coupling: the repository has a single "
            "commit") in radius.notes


def test_a_file_only_bulk_commits_touched_is_said_to_be_so(tmp_path: Path) -> None:
    files = {f"pkg/mod_{i}.py": f"X = {i}\n" for i in range(40)}
    root = write_repo(tmp_path / "bulk", {"pkg/__init__.py": "", **files})
    radius = analyse(root, "pkg/mod_0.py")
    assert ("pkg/mod_0.py's 1 commit(s) in the last 1 were all bulk changes (over 30 "
            "files each), left out of co-change: no co-changes") in radius.notes
    assert not any("has no commits" in n for n in radius.notes)


def _reformat(repo: Path) -> str:
    """Commit a change to core.py, then a reformatting of it; return the reformatting."""
    commit(repo, "Unit everywhere", {
        "app/core.py": "def area(w, h, scale=1, unit='m'):\n    return w * h * scale\n",
    })
    commit(repo, "Reformat with black", {
        "app/core.py": 'def area(w, h, scale=1, unit="m"):\n    return w * h * scale\n'})
    return git(repo, "rev-parse", "HEAD").strip()


def radius_messages(repo: Path) -> set[str]:
    return {d.message for d in analyse(repo, "app/core.py").decisions}


def test_decision_trail_looks_through_the_commits_git_blame_ignore_revs_lists(
        repo: Path) -> None:
    reformat = _reformat(repo)
    commit(repo, "Ignore the reformatting in blame",
           {".git-blame-ignore-revs": f"# black\n{reformat}\n"})
    radius = analyse(repo, "app/core.py")
    trail = {d.message: d.lines for d in radius.decisions}
    assert trail == {"Unit everywhere": [1], "Teach area about scale": [2]}
    assert ("decision trail looks through the commits .git-blame-ignore-revs lists"
            in radius.notes)


def test_decision_trail_follows_a_list_edited_since_the_last_analysis(repo: Path) -> None:
    reformat = _reformat(repo)
    assert radius_messages(repo) == {"Reformat with black", "Teach area about scale"}
    (repo / ".git-blame-ignore-revs").write_text(f"{reformat}\n")
    assert radius_messages(repo) == {"Unit everywhere", "Teach area about scale"}


def test_a_configured_list_git_cannot_read_is_said_and_blame_runs_without_it(
        repo: Path) -> None:
    (repo / "revs.txt").write_text("not-a-commit\n")
    git(repo, "config", "blame.ignoreRevsFile", "revs.txt")
    radius = analyse(repo, "app/core.py")
    assert {d.message for d in radius.decisions} == {"Teach area about scale",
                                                     "Scale from settings"}
    assert any(n.startswith("decision trail cannot look through the commits listed in "
                            "blame.ignoreRevsFile (revs.txt)") for n in radius.notes)


def test_a_root_commit_introduced_its_lines(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "one", {"mod.py": "X = 1\nY = 2\n"})
    radius = analyse(root, "mod.py")
    assert [(d.message, d.lines) for d in radius.decisions] == [("initial", [1, 2])]
    assert not any("shallow" in n for n in radius.notes)


def test_renamed_files_keep_their_history(repo: Path) -> None:
    git(repo, "mv", "app/settings.py", "app/config.py")
    git(repo, "commit", "-q", "-m", "Rename settings")
    history = History(follow_renames(read_log(repo)))
    assert history.changes("app/config.py") == 4
    assert {c.file for c in history.co_changes("app/core.py")} == {"app/config.py",
                                                                   "app/view.py"}


SHAPES = (
    "def rectangle_area(width, height):\n    return width * height\n\n\n"
    "def triangle_area(base, height):\n    return base * height / 2\n"
)
FILLERS = {
    f"app/filler_{i}.py": f"def helper_{i}(value):\n    return value + {i}\n"
    for i in range(6)
}


def _related(root: Path, target: str) -> dict[str, dict[str, float]]:
    graph = build_graph(root)
    history = History(follow_renames(read_log(root)))
    return {r.file: r.parts for r in related_files(graph, history, target, top=50)}


def test_a_file_that_speaks_of_the_target_is_related_without_import_or_history(
        tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit(root, "Shapes, a script that checks them by name, and helpers", {
        "app/__init__.py": "",
        "app/shapes.py": SHAPES,
        "scripts/check.py": "NAMES = ['rectangle_area', 'triangle_area']\n",
        **FILLERS,
    })
    parts = _related(root, "app/shapes.py")
    assert parts["scripts/check.py"]["vocabulary"] > 0.5
    assert parts["scripts/check.py"]["mentions"] == 1.0
    assert "importer" not in parts["scripts/check.py"]
    assert "app/filler_1.py" not in parts or "vocabulary" not in parts["app/filler_1.py"]


def test_partners_of_partners_are_related_transitively(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit(root, "start", {"a.py": "A = 0\n", "b.py": "B = 0\n", "c.py": "C = 0\n"})
    for i in range(1, 4):
        commit(root, f"a and b {i}", {"a.py": f"A = {i}\n", "b.py": f"B = {i}\n"})
        commit(root, f"b and c {i}", {"b.py": f"B = {i}0\n", "c.py": f"C = {i}\n"})
    parts = _related(root, "a.py")
    assert parts["b.py"]["confidence"] == 1.0
    assert parts["c.py"]["transitive"] > 0.5
    assert parts["c.py"]["confidence"] == 0.25  # only the first commit touched a and c


def test_a_partner_the_tree_no_longer_has_is_neither_related_nor_a_co_change(
    tmp_path: Path,
) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    for i in range(3):
        commit(root, f"a and old {i}", {"a.py": f"A = {i}\n", "old.py": f"OLD = {i}\n",
                                        "docs/build/conf.py": f"C = {i}\n"})
    git(root, "rm", "-q", "old.py")
    git(root, "commit", "-q", "-m", "old is gone")
    parts = _related(root, "a.py")
    assert "old.py" not in parts
    assert parts["docs/build/conf.py"]["confidence"] == 1.0  # outside the graph, still here
    assert [c.file for c in analyse(root, "a.py").co_changes] == ["docs/build/conf.py"]


def test_vocabulary_rereads_only_changed_files(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("alpha_value = 1\n")
    (tmp_path / "b.py").write_text("beta_value = 2\n")
    stamps = {"a.py": [1, 1], "b.py": [1, 1]}
    first = build_vocabulary(tmp_path, stamps)
    (tmp_path / "a.py").write_text("gamma_value = 3\n")
    cached = build_vocabulary(tmp_path, stamps)
    fresh = build_vocabulary(tmp_path, {"a.py": [2, 2], "b.py": [1, 1]})
    assert first.tokens["a.py"] == cached.tokens["a.py"] == {"alpha_value"}
    assert fresh.tokens["a.py"] == {"gamma_value"}
