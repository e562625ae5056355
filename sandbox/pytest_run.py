"""Run pytest in a workspace with limits and read back per-test outcomes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from healloop.sandbox.limits import Limits, scrubbed_env
from healloop.sandbox.workspace import Workspace
from healloop.state import TestResult, TestRun

_PLUGIN_DIR = Path(__file__).parent / "_plugin"


def interpreter_for(repo: Path) -> str:
    """Return the repository's own virtualenv python, or ours."""
    for candidate in (repo / ".venv" / "bin" / "python", repo / "venv" / "bin" / "python"):
        if candidate.exists():
            return str(candidate)
    return sys.executable


def _set_limits(limits: Limits) -> None:
    import resource

    os.setsid()
    mb = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size_mb * mb,) * 2)


def run_tests(
    workspace: Workspace,
    tests: list[str] | None = None,
    *,
    limits: Limits | None = None,
    extra_args: list[str] | None = None,
) -> TestRun:
    """Run pytest on tests (paths or node ids; None: the whole suite) in workspace."""
    limits = limits or Limits()
    results_file = workspace.path.parent / f"results-{time.monotonic_ns()}.jsonl"
    env = scrubbed_env(limits.pass_env)
    env.update(
        HEALLOOP_RESULTS=str(results_file),
        HEALLOOP_TEST_TIMEOUT=str(limits.test_timeout),
        PYTHONPATH=os.pathsep.join(
            [str(_PLUGIN_DIR), str(workspace.path), env.get("PYTHONPATH", "")]
        ).rstrip(os.pathsep),
        PYTHONDONTWRITEBYTECODE="1",
        HOME=str(workspace.path.parent),
        TMPDIR=str(workspace.path.parent),
    )
    cmd = [
        interpreter_for(workspace.repo), "-m", "pytest", "-q", "-p", "healloop_sandbox_plugin",
        "-p", "no:cacheprovider", "--no-header", "-rN", "--color=no",
        *(extra_args or []), *(tests or []),
    ]
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=workspace.path, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, preexec_fn=lambda: _set_limits(limits),
    )
    timed_out = False
    try:
        output, _ = proc.communicate(timeout=limits.run_timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
    run = _read_results(results_file)
    results_file.unlink(missing_ok=True)
    run.duration = time.perf_counter() - start
    run.timed_out = timed_out
    run.selected = list(tests or [])
    if proc.returncode not in (0, 1, 5) and not run.results:
        run.errors.append(output.decode("utf-8", "replace")[-2000:])
    return run


def _read_results(path: Path) -> TestRun:
    results: list[TestResult] = []
    errors: list[str] = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if "collect_error" in record:
                errors.append(f"{record['collect_error']}: {record['message']}")
            else:
                results.append(TestResult.model_validate(record))
    return TestRun(results=results, errors=errors)
