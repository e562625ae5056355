"""Bad input gets one clear line on stderr and exit 2, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import invoke

from healloop.inputs import MAX_TARGET_BYTES
from healloop.session import opened

pytestmark = pytest.mark.usefixtures("no_outside_settings")

CLEAN = '"""Arithmetic."""\n\n\ndef add(a, b):\n    """Return a plus b."""\n    return a + b\n'
"""A target with nothing to heal and no tests: a run of it ends in a second."""




def assert_one_line_error(result, *fragments: str) -> str:
    """Assert exit 2 and a single `healloop: error:` line naming the fragments."""
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("healloop: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.output
    return lines[0]


def run(repo: Path, target: str, *flags: str):
    return invoke("run", "--repo", repo, "--file", target, "--engine", "offline", *flags)


# The repository


def test_missing_repository(tmp_path):
    assert_one_line_error(run(tmp_path / "nowhere", "x.py"), "does not exist")


def test_repository_that_is_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    assert_one_line_error(run(tmp_path / "file", "x.py"), "is not a folder")


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0, reason="root reads every folder"
)
def test_unreadable_repository(make_repo):
    repo = make_repo({"calc.py": CLEAN}, git=False)
    repo.chmod(0)
    try:
        assert_one_line_error(run(repo, "calc.py"), "is not readable")
    finally:
        repo.chmod(0o755)


# The target


@pytest.fixture
def repo(make_repo, tmp_path):
    """A repository with a good target, and a file just outside it."""
    (tmp_path / "outside.py").write_text(CLEAN)
    root = make_repo({"calc.py": CLEAN, "notes.txt": "text\n", "pkg/__init__.py": ""}, git=False)
    (root / "escape.py").symlink_to(tmp_path / "outside.py")
    (root / "empty.py").write_bytes(b"")
    (root / "blob.py").write_bytes(b"x = 1\n\0\1\2")
    (root / "latin.py").write_bytes("name = 'Jos\xe9'\n".encode("latin-1"))
    (root / "huge.py").write_bytes(b"x = 1\n" * (MAX_TARGET_BYTES // 6 + 1))
    return root


@pytest.mark.parametrize(
    ("target", "fragment"),
    [
        ("missing.py", "does not exist"),
        ("pkg", "is a folder"),
        ("../outside.py", "is outside the repository"),
        ("escape.py", "is outside the repository"),
        ("notes.txt", "is not a Python file"),
        ("blob.py", "is binary"),
        ("empty.py", "is empty"),
        ("latin.py", "is not UTF-8"),
        ("huge.py", f"over the {MAX_TARGET_BYTES} limit"),
    ],
)
def test_target_that_cannot_be_healed(repo, target, fragment):
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    assert_one_line_error(run(repo, target), target, fragment)
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == before


def test_target_outside_given_as_an_absolute_path(repo, tmp_path):
    assert_one_line_error(run(repo, tmp_path / "outside.py"), "is outside the repository")


def test_target_with_a_syntax_error_is_reviewed_not_refused(make_repo):
    repo = make_repo({"calc.py": "def add(a, b)\n    return a + b\n"}, git=False)
    result = run(repo, "calc.py", "--thread-id", "broken", "--json")
    assert result.exit_code in (1, 3), result.output
    with opened(repo, None) as graph:
        values = graph.get_state({"configurable": {"thread_id": "broken"}}).values
    report = values["review"]["calc.py"]
    assert report["parses"] is False
    assert any(f["source"] == "syntax" for f in report["findings"])
    assert values["baseline"]["calc.py"]["score"] == 0.0


# Flags


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (["--iterations", "0"], "--iterations must be at least 1"),
        (["--iterations", "-2"], "--iterations must be at least 1"),
        (["--iterations", "many"], "'--iterations'"),
        (["--threshold", "1.5"], "--threshold must be between 0 and 1"),
        (["--threshold", "-0.1"], "--threshold must be between 0 and 1"),
        (["--threshold", "nan"], "--threshold must be between 0 and 1"),
        (["--threshold", "high"], "'--threshold'"),
        (["--engine", "magic"], "'--engine'"),
        (["--test-timeout", "-5"], "--test-timeout must be a number above 0, not -5"),
        (["--test-timeout", "0"], "--test-timeout must be a number above 0, not 0"),
        (["--test-timeout", "nan"], "--test-timeout must be a number above 0, not nan"),
        (["--test-timeout", "inf"], "--test-timeout must be a number above 0, not inf"),
        (["--candidates", "0"], "--candidates must be at least 1, not 0"),
        (["--candidates", "-1"], "--candidates must be at least 1, not -1"),
        (["--max-tokens-per-run", "0"], "--max-tokens-per-run must be at least 1, not 0"),
        (["--max-cost", "-1"], "--max-cost must be a number above 0, not -1"),
        (["--max-cost", "0"], "--max-cost must be a number above 0, not 0"),
        (["--jobs", "-3"], "--jobs must be at least 1, not -3"),
        (["--repair-seconds", "0"], "--repair-seconds must be a number above 0, not 0"),
        (["--output", "no/such/folder/out.py"], "does not exist"),
        (["--output", "calc.py"], "--output is the target itself"),
        (["--output", "healed.py", "--apply"], "--output and --apply exclude each other"),
        (["--no-such-flag"], "--no-such-flag"),
    ],
)
def test_bad_flags(make_repo, tmp_path, monkeypatch, flags, fragment):
    repo = make_repo({"calc.py": CLEAN}, git=False)
    monkeypatch.chdir(repo)
    assert_one_line_error(run(repo, "calc.py", *flags), fragment)


@pytest.mark.parametrize("flag", ["--output", "--report"])
@pytest.mark.parametrize("name", ["out", "out.md"])
def test_an_output_that_is_a_folder_is_refused_before_any_work(make_repo, tmp_path, flag, name):
    repo = make_repo({"calc.py": "import os\n" + CLEAN}, git=False)
    folder = tmp_path / name
    folder.mkdir()
    result = run(repo, "calc.py", "--yes", "--iterations", "1", flag, folder)
    assert_one_line_error(result, f"{flag} {folder} is a folder; name a file in it")
    assert not (repo / ".healloop").exists()
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(("command", "flag", "name", "what"), [
    ("run", "--output", "pkg/__init__.py", "a Python source"),
    ("run", "--report", "README.md", "a file git tracks"),
    ("review", "--output", "README.md", "a file git tracks"),
    ("impact", "--output", "pkg/__init__.py", "a Python source"),
])
def test_an_output_never_overwrites_the_users_own_files(make_repo, command, flag, name, what):
    repo = make_repo({"calc.py": "import os\n" + CLEAN, "pkg/__init__.py": "X = 1\n",
                      "README.md": "# calc\n"})
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    args = {"run": ["run", "--repo", repo, "--file", "calc.py", "--yes"],
            "review": ["review", "--repo", repo, "calc.py", "--format", "md"],
            "impact": ["impact", "calc.py", "--repo", repo, "--format", "json"]}[command]
    result = invoke(*args, flag, repo / name)
    assert_one_line_error(result, f"{flag} {repo / name} would overwrite {what} of the repository")
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == before


def test_an_output_may_be_a_new_file_in_the_repository(make_repo):
    repo = make_repo({"calc.py": "import os\n" + CLEAN})
    result = invoke("review", "--repo", repo, "calc.py", "--output", repo / "review.json")
    assert result.exit_code == 0, result.output
    again = invoke("review", "--repo", repo, "calc.py", "--output", repo / "review.json")
    assert again.exit_code == 0, again.output  # healloop's own output, not the user's


def test_a_report_that_is_a_folder_is_refused_on_resume(finished, tmp_path):
    result = invoke("resume", "done", "--repo", finished, "--report", tmp_path)
    assert_one_line_error(result, f"--report {tmp_path} is a folder; name a file in it")


def test_llm_engine_without_key_or_base_url(make_repo):
    repo = make_repo({"calc.py": CLEAN}, git=False)
    result = invoke("run", "--repo", repo, "--file", "calc.py", "--engine", "llm")
    assert_one_line_error(result, "OPENAI_API_KEY", "--base-url")
    assert not (repo / ".healloop").exists()


def test_repository_without_git_works_with_history_off(make_repo):
    repo = make_repo({"calc.py": CLEAN}, git=False)
    result = run(repo, "calc.py", "--json")
    assert result.exit_code == 1, result.output
    assert "not a git repository: history off" in result.stderr
    assert "Traceback" not in result.output


# Resuming


@pytest.fixture
def finished(make_repo) -> Path:
    """A repository with one finished run, thread 'done'."""
    repo = make_repo({"calc.py": CLEAN}, git=False)
    result = run(repo, "calc.py", "--thread-id", "done")
    assert result.exit_code == 1, result.output
    return repo


def test_resume_unknown_thread(finished):
    result = invoke("resume", "nope", "--repo", finished, "--approve")
    assert_one_line_error(result, "no run with thread id nope")


def test_resume_finished_run(finished):
    result = invoke("resume", "done", "--repo", finished, "--approve")
    assert_one_line_error(result, "run done has already finished (no_improvement)")


def test_approve_and_reject_at_once(finished):
    result = invoke("resume", "done", "--repo", finished, "--approve", "--reject")
    assert_one_line_error(result, "--approve and --reject exclude each other")


def test_feedback_without_reject(finished):
    result = invoke("resume", "done", "--repo", finished, "--approve", "--feedback", "more")
    assert_one_line_error(result, "--feedback goes with --reject")


def test_thread_id_of_a_run_with_other_arguments(finished):
    result = run(finished, "calc.py", "--thread-id", "done", "--threshold", "0.9")
    assert_one_line_error(result, "run done was started with other threshold")


# The checkpointer


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("mysql://db.example/heal", "unknown scheme 'mysql'"),
        ("sqlite://", "names no file"),
        ("postgresql://heal@127.0.0.1:notaport/heal", "is malformed"),
        ("postgresql://heal@127.0.0.1:1/heal", "is unreachable"),
    ],
)
def test_bad_checkpointer_url(make_repo, url, fragment):
    repo = make_repo({"calc.py": CLEAN}, git=False)
    assert_one_line_error(run(repo, "calc.py", "--checkpointer", url), fragment)
    assert_one_line_error(invoke("runs", "--repo", repo, "--checkpointer", url), fragment)


def test_checkpoint_file_that_is_not_a_database(make_repo, tmp_path):
    repo = make_repo({"calc.py": CLEAN}, git=False)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database\n" * 400)
    assert_one_line_error(run(repo, "calc.py", "--checkpointer", junk), "not a usable SQLite")


def test_checkpoint_database_damaged_after_its_header(finished):
    path = finished / ".healloop" / "checkpoints.sqlite"
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page:] = b"\xff" * (len(data) - page)
    path.write_bytes(bytes(data))
    line = assert_one_line_error(invoke("runs", "--repo", finished), "checkpoints.sqlite")
    assert "malformed" in line or "not a database" in line or "usable" in line
    assert_one_line_error(invoke("resume", "done", "--repo", finished), "checkpoints.sqlite")
    assert_one_line_error(run(finished, "calc.py", "--thread-id", "done"), "checkpoints.sqlite")


def test_a_bug_keeps_its_traceback_and_an_exit_code_no_outcome_uses(monkeypatch):
    import healloop.graph

    def broken():
        raise RuntimeError("a bug in building the graph")

    monkeypatch.setattr(healloop.graph, "build_graph", broken)
    result = invoke("graph")
    assert result.exit_code == 70  # not 1, which says nothing reached the threshold
    assert "RuntimeError: a bug in building the graph" in result.stderr
    assert result.stderr.rstrip().endswith("the traceback above says where")


def test_ctrl_c_says_so_and_exits_130_not_1_which_says_nothing_was_found(monkeypatch):
    import healloop.graph

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(healloop.graph, "build_graph", interrupted)
    result = invoke("graph")
    assert result.exit_code == 130
    assert result.stderr.strip().startswith("healloop: interrupted")


def test_a_folder_of_a_project_is_not_taken_for_the_repository(make_repo):
    repo = make_repo({"pyproject.toml": "[tool.ruff]\nline-length = 100\n",
                      "src/calc/__init__.py": "", "src/calc/ops.py": CLEAN})
    result = invoke("review", "--repo", repo / "src", "calc/ops.py")
    assert_one_line_error(result, f"is a folder of the project at {repo}",
                          f"pass --repo {repo}")
    # A package of a monorepo, configured on its own, is a repository.
    (repo / "src" / "pyproject.toml").write_text("[project]\nname = 'calc'\n")
    assert invoke("review", "--repo", repo / "src", "calc/ops.py").exit_code == 0
