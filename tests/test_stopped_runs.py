"""A run that stopped before its review finished is listed, explained and continued.

Such a run is kept by the checkpointer like any other: interrupted with Ctrl-C, killed,
or stopped by an error in review. Here ruff refusing the repository's configuration
stops it, which needs no timing; mending the configuration lets it go on.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import invoke

pytestmark = pytest.mark.usefixtures("no_outside_settings")

UNTIDY = "import os\nimport sys\n\n\ndef add(a, b):\n    return a + b\n"
REFUSED = "[tool.ruff]\nno-such-setting = 1\n"




@pytest.fixture
def stopped(make_repo) -> Path:
    """A repository with one run, thread 'stopped', that stopped in review."""
    repo = make_repo({"calc.py": UNTIDY, "pyproject.toml": REFUSED}, git=False)
    result = invoke("run", "--repo", repo, "--file", "calc.py", "--engine", "offline",
                    "--apply", "--thread-id", "stopped")
    assert result.exit_code == 2, result.output
    assert "ruff failed on calc.py" in result.stderr
    (repo / "pyproject.toml").write_text("")
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
