"""A run that stopped before its review finished is listed, explained and continued.

Such a run is kept by the checkpointer like any other: interrupted with Ctrl-C, killed,
or stopped by an error in review. Here ruff failing in review stops it (a failure made
for the test: a configuration ruff refuses no longer stops a run), which needs no
timing; once ruff works again the run goes on.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import invoke

from healloop.analysis import lint
from healloop.errors import ToolError

pytestmark = pytest.mark.usefixtures("no_outside_settings")

UNTIDY = "import os\nimport sys\n\n\ndef add(a, b):\n    return a + b\n"




@pytest.fixture
def stopped(make_repo, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with one run, thread 'stopped', that stopped in review."""
    repo = make_repo({"calc.py": UNTIDY}, git=False)

    def failing(*args: object) -> None:
        raise ToolError("ruff failed on calc.py: it stopped")

    with monkeypatch.context() as patched:
        patched.setattr(lint, "lint", failing)
        result = invoke("run", "--repo", repo, "--file", "calc.py", "--engine", "offline",
                        "--apply", "--thread-id", "stopped")
    assert result.exit_code == 2, result.output
    assert "ruff failed on calc.py" in result.stderr
    return repo


def test_runs_lists_a_run_stopped_before_its_review_finished(stopped):
    listed = invoke("runs", "--repo", stopped, "--json")
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.stdout)
    assert (row["thread_id"], row["status"], row["score"]) == ("stopped", "running", None)
    assert "stopped before review finished" in row["reason"]
    assert "healloop resume stopped" in row["reason"]
    text = invoke("runs", "--repo", stopped)
    assert text.exit_code == 0, text.output
    assert text.stdout.startswith("stopped  running")
    assert "stopped before review finished" in text.stdout


def test_resume_continues_a_run_stopped_before_its_review_finished(stopped):
    result = invoke("resume", "stopped", "--repo", stopped, "--json")
    assert result.exit_code == 3, result.output
    assert json.loads(result.stdout.splitlines()[-1])["status"] == "awaiting_approval"
    approved = invoke("resume", "stopped", "--repo", stopped, "--approve")
    assert approved.exit_code == 0, approved.output
    assert "import os" not in (stopped / "calc.py").read_text()


def test_approving_a_run_stopped_before_its_review_says_what_it_waits_for(stopped):
    result = invoke("resume", "stopped", "--repo", stopped, "--approve")
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line == ("healloop: error: run stopped is not waiting for approval (next: review): "
                    "healloop resume stopped, without a decision, continues it"), line


# ---------------------------------------------------------------------------
# Stopped after a step's tasks finished, before the step was saved


@pytest.fixture
def unsaved_step(make_repo) -> Path:
    """A run 'cut' whose review and blast radius finished but whose step was not saved.

    A signal can land there: LangGraph keeps each task's writes as it finishes and
    saves the step once all have. Cutting a paused run's history back to its first
    step (the writes stay) leaves the checkpointer as such a stop leaves it.
    """
    repo = make_repo({"calc.py": UNTIDY}, git=False)
    result = invoke("run", "--repo", repo, "--file", "calc.py", "--engine", "offline",
                    "--thread-id", "cut")
    assert result.exit_code == 3, result.output
    with sqlite3.connect(repo / ".healloop" / "checkpoints.sqlite") as db:
        steps = db.execute("SELECT checkpoint_id, metadata FROM checkpoints "
                           "WHERE thread_id = 'cut' ORDER BY checkpoint_id").fetchall()
        fan_out = next(cid for cid, meta in steps if json.loads(meta)["step"] == 0)
        db.execute("DELETE FROM checkpoints WHERE thread_id = 'cut' AND checkpoint_id > ?",
                   (fan_out,))
        db.execute("DELETE FROM writes WHERE thread_id = 'cut' AND checkpoint_id > ?",
                   (fan_out,))
    return repo


def test_a_run_stopped_before_its_step_was_saved_is_listed_and_continued(unsaved_step):
    listed = invoke("runs", "--repo", unsaved_step, "--json")
    (row,) = json.loads(listed.stdout)
    assert row["status"] == "running"
    assert "healloop resume cut continues it" in row["reason"], row
    result = invoke("resume", "cut", "--repo", unsaved_step, "--json")
    assert result.exit_code == 3, result.output
    assert json.loads(result.stdout.splitlines()[-1])["status"] == "awaiting_approval"


def test_running_the_thread_again_continues_a_run_whose_step_was_not_saved(unsaved_step):
    result = invoke("run", "--repo", unsaved_step, "--file", "calc.py", "--engine", "offline",
                    "--thread-id", "cut", "--json")
    assert result.exit_code == 3, result.output
    assert json.loads(result.stdout.splitlines()[-1])["status"] == "awaiting_approval"
