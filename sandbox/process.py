"""Start a confined process in a workspace, watch it, and kill all it started.

Every command that runs candidate code (pytest, coverage, a script) must start here:
the process goes through the launcher (``_plugin/healloop_sandbox_launch.py``), which
applies the plan of ``healloop.sandbox.isolation`` before exec. Killing is thorough:
the process group, and every process of the run's pids cgroup, so grandchildren that
started their own session die too. The leader is not reaped until its group has been
killed, so its pid (the group id) cannot be reused by a stranger in between.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from healloop.sandbox.cgroup import PidsCgroup
from healloop.sandbox.isolation import LAUNCHER, capabilities, plan
from healloop.sandbox.limits import Limits, scrubbed_env
from healloop.sandbox.workspace import Workspace

_POLL = 0.02
_UNSET = ("PYTHONPYCACHEPREFIX", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV")


class Interrupted(KeyboardInterrupt):
    """healloop is being interrupted: its sandboxed processes were killed, none start.

    A KeyboardInterrupt, so that no ``except Exception`` takes a killed run for a
    result: a test run cut short must not be kept as the review of a target.
    """


_LIVE: set[ConfinedProcess] = set()
_LIVE_LOCK = threading.RLock()  # re-entrant: stop_all runs in a signal handler
_STOPPING = threading.Event()


def stopping() -> bool:
    """Return whether healloop is stopping: work in its own threads should end now."""
    return _STOPPING.is_set()


def stop_all() -> None:
    """Kill every sandboxed process in flight and refuse to start any after.

    A signal reaches the main thread only, while the threads running tests wait for
    their processes; killed, those processes end at once and each waiting thread
    raises ``Interrupted`` instead of reporting a run that was cut short.
    """
    with _LIVE_LOCK:
        _STOPPING.set()
        live = list(_LIVE)
    for process in live:
        process.stopped = True
        process.kill()


def sandbox_env(
    workspace: Workspace, limits: Limits, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Return the environment of a run: scrubbed, with HOME and TMPDIR in the copy."""
    env = {
        k: v for k, v in scrubbed_env(limits.pass_env).items()
        if not k.startswith("XDG_") and k not in _UNSET
    }
    home, tmp = str(workspace.home), str(workspace.tmp)
    env.update(
        HOME=home, TMPDIR=tmp, TEMP=tmp, TMP=tmp,
        XDG_CACHE_HOME=f"{home}/.cache", XDG_CONFIG_HOME=f"{home}/.config",
        XDG_DATA_HOME=f"{home}/.local/share", XDG_STATE_HOME=f"{home}/.local/state",
        XDG_RUNTIME_DIR=tmp, PYTHONDONTWRITEBYTECODE="1",
    )
    # One string hash order for every run (the user's seed, if they chose one): test
    # cases parametrized over a set are named by position, and the coverage map must
    # name the same case in the run it was recorded in and in the runs it selects for.
    env.setdefault("PYTHONHASHSEED", "0")
    env.update(extra or {})
    return env


def describe_exit(returncode: int | None) -> str:
    """Say in words how a process ended."""
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


class ConfinedProcess:
    """One confined process running in a workspace.

    Start it with output=<file> (stdout and stderr go there, and ``output`` holds the
    tail after ``finish()``), or with stdin/stdout pipes for a long-lived worker, read
    through ``popen``. Always end with ``finish()`` (or ``stop()``): it kills what the
    process left behind, reaps it and frees its cgroup.
    """

    def __init__(
        self, workspace: Workspace, argv: list[str], limits: Limits | None = None, *,
        output: Path | None = None, env: Mapping[str, str] | None = None,
        pass_fds: tuple[int, ...] = (), stdin: int | None = subprocess.DEVNULL,
        stdout: int | None = None, stderr: int | None = None, text: bool = False,
    ) -> None:
        """Start argv in workspace.path under limits (a bare argv[0] is looked up on PATH)."""
        self.limits = limits = limits or Limits()
        self.stopped = False
        """Whether stop_all killed it."""
        if os.sep not in argv[0] and (found := shutil.which(argv[0])):
            argv = [found, *argv[1:]]
        linux = capabilities().platform.startswith("linux")
        self.cgroup = PidsCgroup.create(limits.max_processes) if linux else None
        try:
            steps, self.isolation = plan(workspace, limits, argv, self.cgroup)
            steps["parent"] = os.getpid()  # the launcher has it killed when we die
        except BaseException:
            if self.cgroup:
                self.cgroup.remove()
            raise
        self.killed = False
        self.returncode: int | None = None
        self.output = ""
        self._forks_refused = 0
        self._out: int | None = None
        if output is not None:
            # Read back through this descriptor: a test that deletes the file loses nothing.
            self._out = os.open(output, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC,
                                0o600)
            stdout, stderr = self._out, subprocess.STDOUT
        try:
            with _LIVE_LOCK:
                if _STOPPING.is_set():
                    raise Interrupted("healloop is stopping: no sandboxed process starts")
                self.popen = subprocess.Popen(
                    [sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(steps)],
                    cwd=workspace.path, env=sandbox_env(workspace, limits, env),
                    stdin=stdin, stdout=stdout, stderr=stderr, pass_fds=pass_fds,
                    start_new_session=True, text=text,
                )
                _LIVE.add(self)
                if _STOPPING.is_set():  # stop_all ran in this thread while it started
                    self.stopped = True
                    self.kill()
        except BaseException:
            if self.cgroup:
                self.cgroup.remove()
            if self._out is not None:
                os.close(self._out)
            raise
        self.started = time.monotonic()

    def exited(self) -> bool:
        """Return whether the process has ended, without reaping it."""
        if self.returncode is not None:
            return True
        if not hasattr(os, "waitid"):
            return self.popen.poll() is not None
        try:
            info = os.waitid(os.P_PID, self.popen.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return True
        return info is not None

    def kill(self) -> None:
        """Kill the process, its group and everything in its cgroup."""
        self.killed = True
        self._kill_all()

    def _kill_all(self) -> None:
        if hasattr(os, "killpg"):
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self.cgroup is not None:
            self.cgroup.kill_all()

    def wait(self, deadline: float) -> bool:
        """Wait for the end until deadline (monotonic); kill at the deadline.

        Returns:
            Whether the deadline killed it.

        """
        while not self.exited():
            if _STOPPING.is_set() and not self.killed:
                # Started while stop_all ran (a signal handled by this very thread, in
                # the middle of starting it): stop_all could not see it.
                self.stopped = True
                self.kill()
            if time.monotonic() >= deadline:
                self.kill()
                return True
            time.sleep(_POLL)
        return False

    def finish(self) -> int:
        """Kill what the process left behind, reap it and free its cgroup.

        Returns:
            The return code (negative: the signal that ended it).

        Raises:
            Interrupted: stop_all killed it; its outcome is no result.

        """
        if self.returncode is None:
            self._kill_all()  # the leader is unreaped yet: its group id is still ours
            self.returncode = self.popen.wait()
            with _LIVE_LOCK:
                _LIVE.discard(self)
            if self.cgroup is not None:
                self._forks_refused = self.cgroup.times_limit_hit()
                self.cgroup.remove()
            if self._out is not None:
                self.output = _tail(self._out)
                os.close(self._out)
        if self.stopped:
            raise Interrupted("healloop is stopping: a sandboxed process was killed")
        return self.returncode

    def stop(self) -> int:
        """Kill the process and everything it started now, then finish()."""
        if not self.exited():
            self.kill()
        for stream in (self.popen.stdin, self.popen.stdout, self.popen.stderr):
            if stream is not None:
                stream.close()
        return self.finish()

    def limits_hit(self) -> list[str]:
        """Return a note for each limit the process ran into (call after finish())."""
        notes = []
        code = self.returncode
        if code == -getattr(signal, "SIGXCPU", 0):
            notes.append(f"cpu: a process used its {self.limits.cpu_seconds}s of CPU time")
        if code == -getattr(signal, "SIGXFSZ", 0):
            notes.append(f"file size: a file reached {self.limits.file_size_mb} MiB")
        if hits := self._forks_refused:
            notes.append(
                f"processes: the limit of {self.limits.max_processes} refused {hits} forks"
            )
        return notes


def _tail(fd: int, size: int = 8000) -> str:
    end = os.fstat(fd).st_size
    return os.pread(fd, size, max(0, end - size)).decode("utf-8", "replace")


@dataclass
class CommandResult:
    """The outcome of run_command."""

    returncode: int | None
    output: str
    duration: float
    timed_out: bool = False
    isolation: list[str] = field(default_factory=list)
    limits_hit: list[str] = field(default_factory=list)


def run_command(
    workspace: Workspace, argv: list[str], *, limits: Limits | None = None,
    timeout: float | None = None, env: Mapping[str, str] | None = None,
) -> CommandResult:
    """Run argv confined in workspace.path and return how it ended.

    Args:
        workspace: Where to run; its copy is the current folder.
        argv: The command; a bare argv[0] is looked up on PATH.
        limits: Resource limits (timeout defaults to limits.run_timeout).
        timeout: Wall-clock seconds before everything the command started is killed.
        env: Variables added to the scrubbed environment.

    """
    limits = limits or Limits()
    with tempfile.TemporaryDirectory(prefix="healloop-run-") as scratch:
        child = ConfinedProcess(
            workspace, argv, limits, output=Path(scratch) / "output.log", env=env
        )
        timed_out = child.wait(child.started + (timeout or limits.run_timeout))
        code = child.finish()
    result = CommandResult(
        returncode=None if timed_out else code,
        output=child.output,
        duration=time.monotonic() - child.started,
        timed_out=timed_out,
        isolation=child.isolation,
        limits_hit=child.limits_hit(),
    )
    return result
