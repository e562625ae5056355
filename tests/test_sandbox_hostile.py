"""Hostile candidates are contained, reported, and the run goes on.

Each candidate is a test file in a small repository, followed by a well-behaved test
that must still pass. Everything a candidate tries is bounded by the candidate itself
as well (a fork loop that stops at 300, an allocation loop that stops at 1 GiB, paths
only under this test's tmp_path), so that nothing escapes onto this machine even if
containment fails. Where this machine lacks a layer, the run must say so instead.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from healloop.sandbox import Limits, Workspace, capabilities, run_tests
from healloop.sandbox.snapshot import LINK_MIN_BYTES
from healloop.state import TestRun

pytestmark = pytest.mark.slow

STILL_RUNS = "\n\ndef test_still_runs():\n    pass\n"


@pytest.fixture(autouse=True)
def _quick_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def make_repo(root: Path, candidate: str, **names: object) -> Path:
    root.mkdir(parents=True)
    code = textwrap.dedent(candidate).format(
        **{k: repr(str(v)) if isinstance(v, Path) else repr(v) for k, v in names.items()}
    )
    (root / "test_candidate.py").write_text(code + STILL_RUNS, encoding="utf-8")
    return root


def outcome(run: TestRun, name: str) -> tuple[str, str]:
    result = next(r for r in run.results if r.nodeid.endswith("::" + name))
    return result.outcome, result.message


def fingerprint(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


def missing(run: TestRun, layer: str) -> bool:
    return any(note.startswith(layer + ":") for note in run.isolation)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_deleting_home_and_the_repository_parent_is_contained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_home = tmp_path / "home"
    user_home.mkdir()
    (user_home / ".bashrc").write_text("precious", encoding="utf-8")
    monkeypatch.setenv("HOME", str(user_home))
    (tmp_path / "sibling-project.txt").write_text("precious", encoding="utf-8")
    repo = make_repo(tmp_path / "repo", """
        import os, shutil
        from pathlib import Path

        def test_wipes_home_and_parent():
            shutil.rmtree(os.path.expanduser("~"))  # the sandbox's own HOME
            errors = []
            for victim in ({user_home}, {parent}):
                for path in Path(victim).iterdir():
                    if path.name == "repo":
                        continue
                    try:
                        shutil.rmtree(path) if path.is_dir() else path.unlink()
                    except OSError as exc:
                        errors.append(exc)
            assert not errors, errors
    """, user_home=user_home, parent=tmp_path)
    before = fingerprint(tmp_path)
    with Workspace(repo) as ws:
        run = run_tests(ws, limits=Limits(test_timeout=10, run_timeout=60))
        assert not ws.home.exists()  # it wiped what it was given...
        ws.reset()
        assert ws.home.is_dir()  # ...and the next candidate gets a fresh one
    assert outcome(run, "test_still_runs")[0] == "passed"
    if missing(run, "filesystem"):
        return
    verdict, message = outcome(run, "test_wipes_home_and_parent")
    assert verdict == "failed" and "Permission" in message
    assert fingerprint(tmp_path) == before


def test_writing_outside_the_copy_is_contained(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    shm = Path("/dev/shm") / f"healloop-test-{os.getpid()}-{tmp_path.name}"
    repo = make_repo(tmp_path / "repo", """
        import multiprocessing, os
        from pathlib import Path

        def test_shared_memory_works_but_stays_private():
            multiprocessing.Lock()  # a POSIX semaphore, made in /dev/shm
            if os.path.isdir("/dev/shm"):
                Path({shm}).write_text("left behind")

        def test_writes_everywhere():
            attempts = {{
                "the user's repository": Path({repo}) / "test_candidate.py",
                "a new file beside it": Path({parent}) / "dropped.txt",
                "a folder elsewhere": Path({outside}) / "dropped.txt",
                "through a symlink": Path("escape_link") / "dropped.txt",
            }}
            os.symlink({outside}, "escape_link")
            landed = []
            for what, path in attempts.items():
                try:
                    with open(path, "w") as fh:
                        fh.write("pwned")
                    landed.append(what)
                except OSError:
                    pass
            assert not landed, landed
    """, repo=tmp_path / "repo", parent=tmp_path, outside=outside, shm=shm)
    before = fingerprint(tmp_path)
    with Workspace(repo) as ws:
        run = run_tests(ws, limits=Limits(test_timeout=10, run_timeout=60))
    leaked = shm.exists()
    shm.unlink(missing_ok=True)
    assert outcome(run, "test_still_runs")[0] == "passed"
    assert outcome(run, "test_shared_memory_works_but_stays_private")[0] == "passed"
    assert leaked == missing(run, "shared memory")
    if missing(run, "filesystem"):
        return
    assert outcome(run, "test_writes_everywhere")[0] == "passed"
    assert fingerprint(tmp_path) == before


def test_writing_through_a_hard_link_cannot_change_the_users_file(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", """
        def test_overwrites_data():
            with open("data.bin", "r+b") as fh:
                fh.write(b"pwned")
    """)
    (repo / "data.bin").write_bytes(b"\0" * (LINK_MIN_BYTES * 2))
    before = fingerprint(repo)
    with Workspace(repo) as ws:
        linked = bool(ws.linked_files())
        run = run_tests(ws, limits=Limits(test_timeout=10, run_timeout=60))
    assert linked == capabilities().protects_links
    assert outcome(run, "test_still_runs")[0] == "passed"
    assert fingerprint(repo) == before
    if linked:
        verdict, message = outcome(run, "test_overwrites_data")
        assert verdict == "failed" and "Read-only file system" in message


def test_a_loop_that_never_ends_is_stopped_even_when_it_ignores_the_alarm(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", """
        import signal

        def test_spins():
            while True:
                pass

        def test_spins_deaf():
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])
            while True:
                pass
    """)
    with Workspace(repo) as ws:
        run = run_tests(ws, limits=Limits(test_timeout=0.5, run_timeout=60))
    assert outcome(run, "test_spins")[0] == "timeout"
    assert outcome(run, "test_spins_deaf")[0] == "timeout"
    assert outcome(run, "test_still_runs")[0] == "passed"
    assert not run.timed_out
    assert any("test_spins_deaf was killed" in note for note in run.limits_hit)


def test_a_fork_bomb_is_capped_and_its_processes_die_with_the_run(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", """
        import os, time

        def test_forks_without_end():
            children = []
            try:
                for _ in range(300):  # a hard cap, should the sandbox fail
                    pid = os.fork()
                    if pid == 0:
                        time.sleep(30)
                        os._exit(0)
                    children.append(pid)
            finally:
                with open("pids.txt", "w") as fh:
                    fh.write(" ".join(map(str, children)))
    """)
    with Workspace(repo) as ws:
        run = run_tests(ws, limits=Limits(test_timeout=20, run_timeout=60, max_processes=40))
        pids = [int(p) for p in (ws.path / "pids.txt").read_text(encoding="utf-8").split()]
    try:
        assert outcome(run, "test_still_runs")[0] == "passed"
        assert not any(alive(pid) for pid in pids)
        if missing(run, "processes"):
            return
        verdict, message = outcome(run, "test_forks_without_end")
        assert verdict == "failed" and "Resource temporarily unavailable" in message
        assert len(pids) < 40
        assert any(note.startswith("processes:") for note in run.limits_hit)
    finally:
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_allocating_without_end_hits_the_memory_limit(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", """
        def test_hoards_memory():
            hoard = []
            for _ in range(64):  # 1 GiB at most, should the sandbox fail
                hoard.append(bytearray(16 * 1024 * 1024))
    """)
    with Workspace(repo) as ws:
        run = run_tests(ws, limits=Limits(test_timeout=20, run_timeout=60, memory_mb=384))
    verdict, message = outcome(run, "test_hoards_memory")
    assert verdict == "failed" and "MemoryError" in message
    assert outcome(run, "test_still_runs")[0] == "passed"
    assert any(note.startswith("memory:") for note in run.limits_hit)


def test_a_network_connection_does_not_get_out(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        repo = make_repo(tmp_path / "repo", """
            import socket

            def test_phones_home():
                socket.create_connection(("127.0.0.1", {port}), timeout=3).close()

            def test_local_servers_still_work():
                with socket.socket() as server:
                    server.bind(("127.0.0.1", 0))
                    server.listen()
                    socket.create_connection(server.getsockname(), timeout=3).close()
        """, port=port)
        with Workspace(repo) as ws:
            run = run_tests(ws, limits=Limits(test_timeout=10, run_timeout=60))
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert outcome(run, "test_still_runs")[0] == "passed"
    if missing(run, "network"):
        return
    verdict, message = outcome(run, "test_phones_home")
    assert verdict == "failed" and ("refused" in message or "Permission" in message)
    if capabilities().netns:
        assert outcome(run, "test_local_servers_still_work")[0] == "passed"


def test_signals_to_processes_outside_the_run_are_refused(tmp_path: Path) -> None:
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        repo = make_repo(tmp_path / "repo", """
            import os, signal

            def test_kills_a_bystander():
                os.kill({pid}, signal.SIGKILL)
        """, pid=bystander.pid)
        with Workspace(repo) as ws:
            run = run_tests(ws, limits=Limits(test_timeout=10, run_timeout=60))
        assert outcome(run, "test_still_runs")[0] == "passed"
        if missing(run, "signals") or missing(run, "filesystem"):
            return
        assert outcome(run, "test_kills_a_bystander")[0] == "failed"
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()
