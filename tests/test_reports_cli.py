"""--report on run and resume writes the run's report in the format its suffix names."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from healloop.main import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_report_with_an_unknown_suffix_is_refused_before_the_run(calc_repo, tmp_path):
    result = invoke("run", "--repo", str(calc_repo), "--file", "calc/ops.py", "--engine",
                    "offline", "--report", str(tmp_path / "run.pdf"))
    assert result.exit_code == 2
    assert "unknown format '.pdf'" in result.output
    assert not (calc_repo / ".healloop" / "checkpoints.sqlite").exists()


@pytest.mark.slow
def test_paused_run_and_its_resume_each_write_a_report(calc_repo, tmp_path):
    paused = invoke("run", "--repo", str(calc_repo), "--file", "calc/ops.py", "--engine",
                    "offline", "--apply", "--thread-id", "rep-1",
                    "--report", str(tmp_path / "paused.json"))
    assert paused.exit_code == 3, paused.output
    data = json.loads((tmp_path / "paused.json").read_text())
    assert (data["status"], data["thread_id"]) == ("awaiting_approval", "rep-1")
    assert "-import os" in data["targets"][0]["diff"]

    done = invoke("resume", "rep-1", "--repo", str(calc_repo), "--approve",
                  "--report", str(tmp_path / "done.html"))
    assert done.exit_code == 0, done.output
    html = (tmp_path / "done.html").read_text()
    assert 'class="status accepted"' in html and '<span class="del">-import os</span>' in html
