"""Test runs in a scratch copy: outcomes, timeouts, crashes, environment, limits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from healloop.sandbox import (
    ConfinedProcess,
    Limits,
    Workspace,
    capabilities,
    run_command,
    run_tests,
)
from healloop.sandbox.isolation import LAUNCHER
from healloop.sandbox.limits import looks_secret, scrubbed_env

FAST = Limits(test_timeout=5, run_timeout=60)


@pytest.fixture(autouse=True)
def _quick_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    # Third-party pytest plugins of our own environment only slow the inner runs down.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def repo_with(tmp_path: Path, tests: str, **files: str) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "test_candidate.py").write_text(textwrap.dedent(tests), encoding="utf-8")
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def outcomes(run) -> dict[str, str]:
    return {r.nodeid.split("::")[-1]: r.outcome for r in run.results}


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.parametrize(("name", "value", "secret"), [
    ("OPENAI_API_KEY", "sk-abc", True),
    ("GITHUB_TOKEN", "x", True),
    ("AWS_SECRET_ACCESS_KEY", "x", True),
    ("SSH_AUTH_SOCK", "/run/agent", True),
    ("DB_PASSWORD", "x", True),
    ("DATABASE_URL", "postgresql://app:hunter2@db/app", True),
    ("INNOCENT", "ghp_0123456789abcdef", True),
    ("DATABASE_URL", "postgresql://db/app", False),
    ("PATH", "/usr/bin", False),
    ("LANG", "C.UTF-8", False),
    ("PWD", "/home/me", False),
])
def test_secrets_are_recognised_by_name_or_value(name: str, value: str, secret: bool) -> None:
    assert looks_secret(name, value) is secret


def test_scrubbed_env_keeps_listed_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    env = scrubbed_env(("HF_TOKEN",))
    assert "OPENAI_API_KEY" not in env
    assert env["HF_TOKEN"] == "hf_test"


@pytest.mark.slow
def test_each_outcome_is_reported(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, """
        import pytest

        @pytest.fixture
        def broken():
            raise RuntimeError("fixture broke")

        def test_passes():
            pass

        def test_fails():
            assert 1 == 2

        def test_errors(broken):
            pass

        @pytest.mark.skip(reason="not today")
        def test_skipped():
            pass
    """)
    with Workspace(repo) as ws:
        run = run_tests(ws, limits=FAST)
    assert outcomes(run) == {"test_passes": "passed", "test_fails": "failed",
                             "test_errors": "error", "test_skipped": "skipped"}
    assert not run.timed_out and not run.errors


def test_a_case_named_by_its_copys_path_has_one_id_in_every_copy(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, """
        import pytest

        @pytest.mark.parametrize("path", [__file__, "elsewhere"])
        def test_reads(path):
            assert path
    """)
    ids = []
    for _ in range(2):
        with Workspace(repo) as ws:
            ids.append(sorted(r.nodeid for r in run_tests(ws, limits=FAST).results))
    case = "test_candidate.py::test_reads[test_candidate.py]"
    assert ids[0] == ids[1] == ["test_candidate.py::test_reads[elsewhere]", case]
    with Workspace(repo) as ws:
        asked = run_tests(ws, [case], limits=FAST)
    assert [(r.nodeid, r.outcome) for r in asked.results] == [(case, "passed")]
    assert not asked.uncollected


def test_a_case_parametrized_over_a_set_has_one_id_in_every_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    repo = repo_with(tmp_path, """
        import pytest

        NAMES = {"a", "b", "c", "d", "e", "f", "g", "h"}

        @pytest.mark.parametrize("names", [{n} for n in NAMES])  # named by position
        def test_not_b(names):
            assert "b" not in names
    """)
    failing = set()
    for _ in range(3):  # string hashes are seeded anew in each process
        with Workspace(repo) as ws:
            failing |= run_tests(ws, limits=FAST).ids("failed")
    assert len(failing) == 1, failing


@pytest.mark.slow
def test_tests_see_a_scrubbed_environment_with_home_and_tmpdir_in_the_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-do-not-leak")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:hunter2@db/app")
    monkeypatch.setenv("HF_TOKEN", "hf_passed_on_purpose")
    monkeypatch.setenv("HEALLOOP_PLAIN", "kept")
    repo = repo_with(tmp_path, """
        import json, os, tempfile

        def test_dump_env():
            with open("seen.json", "w") as fh:
                json.dump({"env": dict(os.environ), "tmp": tempfile.gettempdir(),
                           "home": os.path.expanduser("~")}, fh)
    """)
    with Workspace(repo) as ws:
        run = run_tests(ws, limits=Limits(test_timeout=5, pass_env=("HF_TOKEN",)))
        seen = json.loads((ws.path / "seen.json").read_text(encoding="utf-8"))
        assert outcomes(run) == {"test_dump_env": "passed"}
        assert seen["home"] == str(ws.home)
        assert seen["tmp"] == str(ws.tmp)
        assert seen["env"]["XDG_CACHE_HOME"].startswith(str(ws.home))
    env = seen["env"]
    assert "OPENAI_API_KEY" not in env and "DATABASE_URL" not in env
    assert env["HF_TOKEN"] == "hf_passed_on_purpose"
    assert env["HEALLOOP_PLAIN"] == "kept"


@pytest.mark.slow
def test_a_test_past_its_timeout_is_stopped_and_the_run_goes_on(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, """
        import time

        def test_sleeps():
            time.sleep(60)

        def test_after():
            pass
    """)
    with Workspace(repo) as ws:
        run = run_tests(ws, limits=Limits(test_timeout=0.5, run_timeout=60))
    assert outcomes(run) == {"test_sleeps": "timeout", "test_after": "passed"}
    assert run.duration < 30


@pytest.mark.slow
def test_a_pytest_that_dies_between_two_tests_is_said_and_the_rest_still_run(
    tmp_path: Path,
) -> None:
    repo = repo_with(tmp_path, """
        def test_1():
            pass

        def test_2():
            pass

        def test_3():
            assert False
    """, **{"conftest.py": """
        import os

        import pytest

        @pytest.hookimpl(hookwrapper=True, tryfirst=True)
        def pytest_runtest_protocol(item, nextitem):
            yield
            if item.name == "test_1" and not os.environ.get("DIED"):
                os.environ["DIED"] = "1"  # in this pytest only
                os._exit(3)  # after the test, before the next: no test in flight
    """})
    with Workspace(repo) as ws:
        run = run_tests(ws, limits=FAST)
    assert outcomes(run) == {"test_1": "passed", "test_2": "passed", "test_3": "failed"}
    assert any(e.startswith("pytest died between two tests (exit status 3) after "
                            "test_candidate.py::test_1") for e in run.errors), run.errors


@pytest.mark.slow
def test_a_test_that_takes_pytest_down_is_an_error_and_the_rest_still_run(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, """
        import os, signal

        def test_before():
            pass

        def test_exits():
            os._exit(3)

        def test_kills_itself():
            os.kill(os.getpid(), signal.SIGKILL)

        def test_after():
            pass
    """)
    with Workspace(repo) as ws:
        run = run_tests(ws, limits=FAST)
    assert outcomes(run) == {"test_before": "passed", "test_exits": "error",
                             "test_kills_itself": "error", "test_after": "passed"}
    messages = {r.nodeid.split("::")[-1]: r.message for r in run.results}
    assert "exit status 3" in messages["test_exits"]
    assert "SIGKILL" in messages["test_kills_itself"]


@pytest.mark.slow
def test_the_whole_run_timeout_kills_children_and_grandchildren(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, """
        import subprocess, sys, time

        SLEEP = [sys.executable, "-c", "import time; time.sleep(120)"]

        def test_spawns_and_hangs():
            in_group = subprocess.Popen(SLEEP)
            own_session = subprocess.Popen(SLEEP, start_new_session=True)
            with open("pids.txt", "w") as fh:
                fh.write(f"{in_group.pid} {own_session.pid}")
            time.sleep(120)
    """)
    with Workspace(repo) as ws:
        run = run_tests(ws, limits=Limits(test_timeout=120, run_timeout=4))
        pids = [int(p) for p in (ws.path / "pids.txt").read_text(encoding="utf-8").split()]
    try:
        assert run.timed_out
        assert outcomes(run) == {"test_spawns_and_hangs": "timeout"}
        assert not alive(pids[0])
        if capabilities().pids_cgroup:
            assert not alive(pids[1])
        else:
            assert any(note.startswith("cleanup:") for note in run.isolation)
    finally:
        for pid in pids:
            if alive(pid):
                os.kill(pid, 9)


@pytest.mark.slow
def test_cpu_and_file_size_limits_stop_a_test_and_the_run_goes_on(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, """
        def test_big_file():
            with open("big.bin", "wb") as fh:
                fh.write(b"x" * (3 * 1024 * 1024))

        def test_burns_cpu():
            n = 0
            while True:
                n += 1

        def test_after():
            pass
    """)
    limits = Limits(test_timeout=30, run_timeout=60, cpu_seconds=1, file_size_mb=1)
    with Workspace(repo) as ws:
        run = run_tests(ws, limits=limits)
        assert (ws.path / "big.bin").stat().st_size <= 1024 * 1024
    assert outcomes(run) == {"test_big_file": "failed", "test_burns_cpu": "error",
                             "test_after": "passed"}
    assert any(note.startswith("cpu:") for note in run.limits_hit)
    assert any(note.startswith("file size:") for note in run.limits_hit)


@pytest.mark.slow
def test_run_command_reports_exit_output_and_timeout(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "")
    with Workspace(repo) as ws:
        done = run_command(ws, [sys.executable, "-c", "print('hello'); raise SystemExit(4)"])
        assert (done.returncode, done.output.strip(), done.timed_out) == (4, "hello", False)
        start = time.monotonic()
        hung = run_command(ws, [sys.executable, "-c", "import time; time.sleep(60)"],
                           timeout=1)
        assert hung.timed_out and hung.returncode is None
        assert time.monotonic() - start < 20


@pytest.mark.slow
def test_a_worker_talks_over_pipes_and_stop_ends_everything_it_started(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "", **{"worker.py": """
        import subprocess, sys

        SLEEP = [sys.executable, "-c", "import time; time.sleep(120)"]
        helper = subprocess.Popen(SLEEP, start_new_session=True)
        for line in sys.stdin:
            print(line.strip().upper(), helper.pid, flush=True)
    """})
    with Workspace(repo) as ws:
        worker = ConfinedProcess(ws, [sys.executable, "worker.py"], FAST, text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert worker.popen.stdin is not None and worker.popen.stdout is not None
        worker.popen.stdin.write("ping\n")
        worker.popen.stdin.flush()
        word, helper = worker.popen.stdout.readline().split()
        worker.stop()
    try:
        assert word == "PING"
        assert worker.returncode is not None and worker.returncode < 0
        if capabilities().pids_cgroup:
            assert not alive(int(helper))
        else:
            assert any(note.startswith("cleanup:") for note in worker.isolation)
    finally:
        if alive(int(helper)):
            os.kill(int(helper), 9)


@pytest.mark.slow
def test_the_launcher_fails_closed_when_a_layer_cannot_be_applied(tmp_path: Path) -> None:
    plan = {"cgroup_procs": str(tmp_path / "no-such-cgroup" / "cgroup.procs"),
            "argv": ["/bin/sh", "-c", "touch ran"]}
    done = subprocess.run([sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(plan)],
                          cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 125
    assert "cannot confine" in done.stderr
    assert not (tmp_path / "ran").exists()


@pytest.mark.slow
def test_a_process_started_while_healloop_stops_is_killed_by_its_own_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from healloop.sandbox import process

    repo = repo_with(tmp_path, "")
    with Workspace(repo) as ws:
        sleeper = ConfinedProcess(ws, [sys.executable, "-c", "import time; time.sleep(60)"],
                                  FAST, output=tmp_path / "out.txt")
        # As when the signal's handler ran in this thread while it started the process:
        # stop_all saw no process, and stopping is on.
        stopping = process.threading.Event()
        stopping.set()
        monkeypatch.setattr(process, "_STOPPING", stopping)
        began = time.monotonic()
        sleeper.wait(began + 30)
        with pytest.raises(process.Interrupted):
            sleeper.finish()
    assert time.monotonic() - began < 10
