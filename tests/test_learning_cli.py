"""The learning loop across processes: decide in one, learn in the next, forget."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# No tests: learning does not depend on them, and runs without them are quick.
PYPROJECT = '[tool.ruff.lint]\nselect = ["F", "N"]\n'


def module(name: str) -> str:
    return (
        f'"""The {name} module."""\nimport os\n\n\n'
        f"def get{name.title()}(x):\n"
        f'    """Return x for {name}."""\n    return x\n'
    )


FILES = {
    "pyproject.toml": PYPROJECT,
    "pkg/__init__.py": '"""Package."""\n',
    "pkg/alpha.py": module("alpha"),
    "pkg/beta.py": module("beta"),
    "pkg/app.py": '"""Uses both."""\nfrom pkg.alpha import getAlpha\nfrom pkg.beta import getBeta\n'
    "\nVALUES = (getAlpha(1), getBeta(2))\n",
}


def healloop(repo: Path, *args: str) -> tuple[int, dict | list | None, str]:
    """Run the CLI in its own process; return the exit code, the JSON line, stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "HEALLOOP"))}
    proc = subprocess.run(
        [sys.executable, "-m", "healloop", *args, "--repo", str(repo)],
        capture_output=True, text=True, env=env, check=False, timeout=600,
    )
    lines = proc.stdout.strip().splitlines()
    data = json.loads(lines[-1]) if lines and lines[-1].startswith(("{", "[")) else None
    return proc.returncode, data, proc.stderr


def shown(data: dict) -> dict:
    (proposal,) = data["request"]["proposals"]
    return proposal


def renames(proposal: dict) -> bool:
    return "rename" in proposal["engine"]


@pytest.mark.slow
def test_decisions_taken_in_one_process_steer_the_next_run_and_can_be_forgotten(make_repo):
    repo = make_repo(FILES)
    run = ("run", "--engine", "offline", "--jobs", "1", "--json")

    # First run: the human sends every rename back with feedback until one keeps the
    # names, and approves it: the feedback was against what the approved one dropped.
    code, data, err = healloop(repo, *run, "--file", "pkg/alpha.py", "--thread-id", "first")
    assert code == 3, err
    seen_first = [shown(data)]
    while renames(seen_first[-1]):
        code, data, err = healloop(repo, "resume", "first", "--reject", "--feedback",
                                   "keep public names: other packages import them", "--json")
        assert code == 3, err
        seen_first.append(shown(data))
    code, data, err = healloop(repo, "resume", "first", "--approve", "--json")
    assert (code, data["status"]) == (0, "accepted"), err
    assert len(seen_first) >= 2

    code, learned, err = healloop(repo, "history", "--json")
    assert code == 0, err
    assert (learned["accepted"], learned["rejected"], learned["revised"]) == (
        1, 0, len(seen_first) - 1)
    assert learned["edits"]["rename"]["rejected"] == len(seen_first) - 1
    assert learned["edits"]["rename"]["effect"] in ("ranked down", "skipped")
    assert learned["edits"]["lint-fix"]["effect"] == "tried first"
    assert learned["feedback"]["pkg/alpha.py"][0].startswith("keep public names")

    # Second run, new process, another file: the first candidate shown is accepted.
    code, data, err = healloop(repo, *run, "--file", "pkg/beta.py", "--thread-id", "second")
    assert code == 3, err
    assert not renames(shown(data))
    assert "-import os" in shown(data)["diff"]
    code, data, err = healloop(repo, "resume", "second", "--approve", "--json")
    assert code == 0, err
    assert "def getBeta(x):" in (repo / "pkg/beta.py").read_text()

    code, _, err = healloop(repo, "forget")
    assert code == 0, err
    code, learned, err = healloop(repo, "history", "--json")
    assert (learned["accepted"], learned["rejected"], learned["edits"]) == (0, 0, {})
