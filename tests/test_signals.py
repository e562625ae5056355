"""Stopping healloop stops its test runs: a signal never leaves a sandboxed pytest behind.

Test runs live in sessions of their own, so a signal to healloop reaches healloop
alone. SIGINT, SIGTERM and SIGHUP kill the runs in flight and healloop exits at once,
with 128 + the signal's number; after SIGKILL, which nothing can handle, the kernel
kills each run with the healloop process that started it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import write_repo

pytestmark = pytest.mark.slow

SLEEPER = {
    "pkg/__init__.py": "",
    "pkg/core.py": "def double(x):\n    return 2 * x\n",
    "tests/test_core.py": (
        "import time\n\nfrom pkg.core import double\n\n\n"
        "def test_slow():\n    time.sleep(600)\n    assert double(2) == 4\n"
    ),
}
# As a shell runs a command in the foreground: the stopping signals not ignored, whatever
# ours are (a suite started under nohup ignores SIGHUP, and healloop keeps an ignored
# signal ignored, as it should).
DEFAULT_SIGINT = ("import os, signal, sys; [signal.signal(s, signal.SIG_DFL) for s in "
                  "(signal.SIGINT, signal.SIGTERM, signal.SIGHUP)]; "
                  "os.execv(sys.executable, [sys.executable, '-m', 'healloop', *sys.argv[1:]])")


def children(pid: int) -> list[int]:
    """Return the pids of pid's child processes."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except (OSError, ValueError):
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def cmdline(pid: int) -> bytes:
    """Return pid's command line, empty once it has ended (a ruff run ends fast)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def alive(pid: int) -> bool:
    """Return whether pid runs (a zombie, dead and unreaped, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def review_running_a_test(tmp_path: Path) -> tuple[subprocess.Popen[str], int, Path]:
    """Start `healloop review` on a test that sleeps; return it once pytest runs the test."""
    repo = write_repo(tmp_path / "repo", SLEEPER)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    proc = subprocess.Popen(
        [sys.executable, "-c", DEFAULT_SIGINT, "review", "--repo", str(repo), "pkg/core.py"],
        env=env, text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        # pytest as an argument: the launcher's steps, or the program it became (the
        # scratch paths, under pytest's tmp_path, hold "pytest" in every command line).
        runs = [p for p in children(proc.pid)
                if b'"pytest"' in cmdline(p) or b"\x00pytest\x00" in cmdline(p)]
        if runs:
            return proc, runs[0], scratch
        assert proc.poll() is None, proc.communicate()[1]
        time.sleep(0.1)
    proc.kill()
    pytest.fail("pytest never started")


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_stops_the_tests_in_flight_and_healloop_at_once(
    tmp_path: Path, name: str,
) -> None:
    proc, run, scratch = review_running_a_test(tmp_path)
    number = getattr(signal, name)
    sent = time.monotonic()
    proc.send_signal(number)
    # Without stopping the run, healloop waits out the test's 30 s timeout.
    _, err = proc.communicate(timeout=120)
    assert time.monotonic() - sent < 15, (proc.returncode, err)
    assert proc.returncode == 128 + number, err
    assert err.strip().splitlines()[-1].startswith(
        "healloop: interrupted" if name == "SIGINT" else f"healloop: stopped by {name}")
    assert "Traceback" not in err
    assert not alive(run)
    assert list(scratch.iterdir()) == []  # every scratch copy removed


def test_a_killed_healloop_takes_its_test_run_with_it(tmp_path: Path) -> None:
    proc, run, _ = review_running_a_test(tmp_path)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while alive(run) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        assert not alive(run), "the sandboxed pytest outlived healloop"
    finally:
        if alive(run):
            os.kill(run, signal.SIGKILL)
