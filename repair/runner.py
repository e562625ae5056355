"""Run the target's tests against candidate versions of it, tens of milliseconds each.

A pytest process per candidate costs half a second; repair checks hundreds. The
runner starts ``worker.py`` once in the scratch copy, under the repository's own
interpreter, confined like every test run (``healloop.sandbox.ConfinedProcess``),
and asks it for one test run per candidate.
The worker forks a child per run, so a candidate that loops, crashes or exits costs
at most its per-test timeout and leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from healloop.sandbox import ConfinedProcess, Limits, Workspace
from healloop.sandbox.pytest_run import PLUGINS_OFF, addopts_override, interpreter_for

_WORKER = Path(__file__).with_name("worker.py")
RunnerMode = Literal["hot", "fresh"]
# As healloop.sandbox.run_tests does, minus its results plugin; LangSmith's plugin,
# installed beside langchain, costs 1.5 s per start.
PYTEST_ARGS = ["-q", "-p", "no:cacheprovider", "-p", "no:langsmith_plugin", *PLUGINS_OFF,
               "--no-header", "--color=no"]


@dataclass
class Check:
    """The outcome of running some tests against one version of the target."""

    outcomes: dict[str, str]
    """Outcome by node id: passed, failed, error, skipped, timeout, missing, not_run."""
    lines: dict[str, list[int]] = field(default_factory=dict)
    """Lines of the target each test executed, when tracing was asked for."""
    also: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    """Lines of each file of trace_also (by its path) each test executed."""
    elsewhere: dict[str, tuple[int, float]] = field(default_factory=dict)
    """With elsewhere: every other file of the copy the failing tests ran (by its
    path), with its most suspicious line and that line's Ochiai score."""
    failed_at: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Where each failed test failed: the last line of its own file that the traceback
    went through, and the exception's type (`(263, "AssertionError")`)."""
    seconds: float = 0.0
    crashed: bool = False

    @property
    def failing(self) -> set[str]:
        """Node ids of the tests that failed, errored or timed out (as TestRun.failing)."""
        return {t for t, o in self.outcomes.items() if o in ("failed", "error", "timeout")}

    @property
    def passing(self) -> set[str]:
        """Node ids of the tests that passed (skips left out)."""
        return {t for t, o in self.outcomes.items() if o == "passed"}

    def passed(self, nodeid: str) -> bool:
        """Return whether the test passed (a skip counts as no failure)."""
        return self.outcomes.get(nodeid) in ("passed", "skipped")

    def all_passed(self, tests: list[str]) -> bool:
        """Return whether every one of the tests passed."""
        return all(self.passed(t) for t in tests)


class WorkerError(RuntimeError):
    """The worker process died or stopped answering: a bug or a resource limit."""


class CandidateRunner:
    """A fork server in a scratch copy that runs tests against candidate sources."""

    def __init__(
        self,
        workspace: Workspace,
        target: str,
        tests: list[str],
        *,
        limits: Limits | None = None,
        mode: RunnerMode = "hot",
    ) -> None:
        """Start the worker for these tests of target; collection happens here."""
        self.mode = mode
        self.limits = limits or Limits()
        self.collected: set[str] = set()
        self.errors: list[str] = []
        self._closed = False
        self._proc = ConfinedProcess(
            workspace, [interpreter_for(workspace.repo), str(_WORKER)], self.limits,
            env={"PYTHONPATH": _pythonpath(workspace)}, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        config = {"root": str(workspace.path), "target": target, "tests": tests,
                  "mode": mode,
                  "pytest_args": [*PYTEST_ARGS, *addopts_override(workspace, self.limits)]}
        ready = self._ask(config, timeout=self.limits.run_timeout)
        self.ready = bool(ready.get("ready"))
        self.collected = set(ready.get("collected", []))
        self.errors = list(ready.get("errors", []))

    def run(
        self,
        source: str | None,
        tests: list[str],
        *,
        timeout: float,
        trace: bool = False,
        trace_also: tuple[str, ...] = (),
        elsewhere: bool = False,
        stop_on_fail: bool = False,
        stop_on_timeout: bool = False,
    ) -> Check:
        """Run tests against source (None: the file as it is), each within timeout seconds.

        With trace, record the lines of the target each test runs, and those of the
        files trace_also names (paths relative to the copy's root); with elsewhere
        too, the most suspicious line of every other file of the copy.
        """
        if not tests:
            return Check(outcomes={})
        request = {"source": source, "tests": tests, "timeout": timeout, "trace": trace,
                   "trace_also": list(trace_also), "elsewhere": elsewhere,
                   "stop_on_fail": stop_on_fail, "stop_on_timeout": stop_on_timeout}
        # The worker kills a child that overruns; this bound only catches a stuck worker.
        answer = self._ask(request, timeout=len(tests) * (timeout + 3.0) + 30.0)
        return Check(
            outcomes=answer["outcomes"], lines=answer.get("lines") or {},
            also=answer.get("also") or {},
            elsewhere={path: (int(line), float(score))
                       for path, (line, score) in (answer.get("elsewhere") or {}).items()},
            failed_at={nodeid: (int(line), str(kind))
                       for nodeid, (line, kind) in (answer.get("failed_at") or {}).items()},
            seconds=answer.get("seconds", 0.0), crashed=answer.get("crashed", False),
        )

    def close(self) -> None:
        """Stop the worker and everything it started."""
        if self._closed:
            return
        self._closed = True
        stdin = self._proc.popen.stdin
        if not self._proc.exited() and stdin is not None:
            try:
                stdin.write('{"quit": true}\n')
                stdin.flush()
            except OSError:
                pass
            self._proc.wait(time.monotonic() + 5)
        for stream in (stdin, self._proc.popen.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass  # a dead worker cannot take the quit message still buffered
        self._proc.stop()

    def __enter__(self) -> CandidateRunner:
        """Use as a context manager that stops the worker on exit."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop the worker."""
        self.close()

    def _ask(self, message: Mapping[str, object], *, timeout: float) -> dict[str, Any]:
        stdin, stdout = self._proc.popen.stdin, self._proc.popen.stdout
        if self._closed or stdin is None or stdout is None:
            raise WorkerError("the repair worker was stopped")
        try:
            stdin.write(json.dumps(message) + "\n")
            stdin.flush()
        except BrokenPipeError:
            self.close()
            raise WorkerError("the repair worker exited") from None
        line = _readline(stdout, timeout)
        if not line:
            self.close()
            raise WorkerError("the repair worker stopped answering")
        answer: dict[str, Any] = json.loads(line)
        return answer


def _readline(stream: IO[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return ""
        ready, _, _ = select.select([stream], [], [], left)
        if ready:
            return stream.readline()


def _pythonpath(workspace: Workspace) -> str:
    """Return the import path of the copy: a src layout's folder first, then the root."""
    parts = []
    src = workspace.path / "src"
    if src.is_dir() and not (src / "__init__.py").exists():
        parts.append(str(src))
    parts.append(str(workspace.path))
    if existing := os.environ.get("PYTHONPATH"):
        parts.append(existing)
    return os.pathsep.join(parts)
