"""Runs that share a repository: own threads, own scratch copies, one writer per file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CALC, OUTSIDE_SETTINGS, invoke

from healloop.writes import locked

pytestmark = pytest.mark.usefixtures("no_outside_settings")

UNTIDY = "import os\nimport sys\n\n\ndef add(a, b):\n    return a + b\n"
"""A target ruff can tidy, with no tests: a run of it pauses within a second or two."""
PAUSE = ("--engine", "offline", "--apply", "--threshold", "0.9")
"""Flags that make a run of UNTIDY propose the tidy version and wait for approval."""




def last_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


def error_line(result) -> str:
    """Return the one error line of a failed command, checking there is only one."""
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert errors == [result.stderr.strip().splitlines()[-1]], result.stderr
    assert errors[0].startswith("healloop: error: ")
    assert "Traceback" not in result.output
    return errors[0]


@pytest.fixture
def paused(make_repo) -> Path:
    """A repository whose run 'p1' waits for approval of a tidier calc.py."""
    repo = make_repo({"calc.py": UNTIDY})
    result = invoke("run", "--repo", repo, "--file", "calc.py", *PAUSE, "--thread-id", "p1")
    assert result.exit_code == 3, result.output
    return repo


def test_a_target_changed_while_paused_is_not_overwritten(paused):
    edited = UNTIDY + "\n\ndef sub(a, b):\n    return a - b\n"
    (paused / "calc.py").write_text(edited)
    result = invoke("resume", "p1", "--repo", paused, "--approve", "--json")
    assert result.exit_code == 2, result.output
    line = error_line(result)
    assert "calc.py changed since the run started; nothing written" in line
    assert (paused / "calc.py").read_text() == edited
    assert last_json(result.stdout)["status"] == "error"


def test_a_target_removed_while_paused_is_not_recreated(paused):
    (paused / "calc.py").unlink()
    result = invoke("resume", "p1", "--repo", paused, "--approve")
    assert result.exit_code == 2, result.output
    assert "calc.py was removed since the run started" in error_line(result)
    assert not (paused / "calc.py").exists()


def test_a_file_another_run_is_writing_is_refused_then_applied_on_resume(paused):
    with locked(paused, [paused / "calc.py"]):
        result = invoke("resume", "p1", "--repo", paused, "--approve")
        assert result.exit_code == 2, result.output
        assert "another healloop run is writing" in error_line(result)
        assert (paused / "calc.py").read_text() == UNTIDY
    again = invoke("resume", "p1", "--repo", paused, "--approve", "--json")
    assert again.exit_code == 0, again.output
    assert last_json(again.stdout)["status"] == "accepted"
    assert "import os" not in (paused / "calc.py").read_text()


def test_a_second_run_approving_the_same_file_is_refused(paused):
    again = invoke("run", "--repo", paused, "--file", "calc.py", *PAUSE, "--thread-id", "p2")
    assert again.exit_code == 3, again.output
    first = invoke("resume", "p1", "--repo", paused, "--approve")
    assert first.exit_code == 0, first.output
    healed = (paused / "calc.py").read_text()
    second = invoke("resume", "p2", "--repo", paused, "--approve")
    assert second.exit_code == 2, second.output
    assert "calc.py changed since the run started; nothing written" in error_line(second)
    assert (paused / "calc.py").read_text() == healed


TWO_MODULES = {
    **CALC,
    "calc/more.py": (
        '"""More helpers."""\nimport json\nimport re\n\n\n'
        'def double(x):\n    """Return twice x."""\n    return 2 * x\n'
    ),
    "tests/test_more.py": (
        "from calc.more import double\n\n\ndef test_double():\n    assert double(4) == 8\n"
    ),
}


def healloop(*args: str, tmp: Path) -> subprocess.Popen:
    """Start the CLI in its own process, scratch copies under tmp."""
    env = {k: v for k, v in os.environ.items()
           if k not in OUTSIDE_SETTINGS}
    env["TMPDIR"] = str(tmp)
    return subprocess.Popen([sys.executable, "-m", "healloop", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=240)
    return proc.returncode, out, err


@pytest.mark.slow
def test_runs_at_the_same_time_keep_to_their_threads_and_one_writer_wins(make_repo, tmp_path):
    repo = make_repo(TWO_MODULES)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    before = {p: p.read_bytes() for p in repo.rglob("*.py")}
    plan = {"ops-a": "calc/ops.py", "more-b": "calc/more.py", "ops-c": "calc/ops.py"}
    started = {
        thread: healloop("run", "--repo", repo, "--file", target, "--engine", "offline",
                         "--apply", "--thread-id", thread, "--json", tmp=tmp)
        for thread, target in plan.items()
    }
    paused = {thread: finish(proc) for thread, proc in started.items()}
    for thread, (code, out, err) in paused.items():
        assert code == 3, err
        data = last_json(out)
        assert data["thread_id"] == thread
        assert [t["target"] for t in data["targets"]] == [plan[thread]]
    assert {p: p.read_bytes() for p in repo.rglob("*.py")} == before
    listed = invoke("runs", "--repo", repo, "--json")
    assert listed.exit_code == 0, listed.output
    assert {(r["thread_id"], r["status"]) for r in json.loads(listed.stdout)} == {
        (thread, "awaiting_approval") for thread in plan
    }

    approvals = {thread: healloop("resume", thread, "--repo", repo, "--approve", "--json",
                                  tmp=tmp) for thread in plan}
    done = {thread: finish(proc) for thread, proc in approvals.items()}
    assert done["more-b"][0] == 0, done["more-b"][2]
    codes = sorted(done[t][0] for t in ("ops-a", "ops-c"))
    assert codes == [0, 2], {t: done[t][2] for t in done}
    loser = next(t for t in ("ops-a", "ops-c") if done[t][0] == 2)
    last_line = done[loser][2].strip().splitlines()[-1]
    assert last_line.startswith("healloop: error: calc/ops.py") or (
        last_line.startswith("healloop: error: another healloop run is writing")
    ), done[loser][2]
    assert last_json(done[loser][1])["written"] == []
    assert "import os" not in (repo / "calc/ops.py").read_text()
    assert "import json" not in (repo / "calc/more.py").read_text()
    assert (repo / "calc/report.py").read_bytes() == before[repo / "calc/report.py"]
