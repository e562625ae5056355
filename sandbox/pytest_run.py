"""Run pytest in a workspace with limits and read back per-test outcomes.

A hostile or broken candidate must not cost the run its other results. A test past
its timeout is first interrupted in-process (SIGALRM); one that ignores that, or that
takes pytest down (``os._exit``, a signal, a crash), is killed from outside with
everything it started, recorded as ``timeout`` or ``error``, and pytest starts again
without the tests already done. Only the whole-run timeout ends a run early.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

from healloop.analysis.pytest_config import suite_config
from healloop.sandbox import addopts
from healloop.sandbox.limits import Limits
from healloop.sandbox.process import ConfinedProcess, describe_exit
from healloop.sandbox.workspace import Workspace
from healloop.state import CollectionError, TestOutcome, TestResult, TestRun

_PLUGIN_DIR = Path(__file__).parent / "_plugin"
_GRACE = 2.0
"""Seconds past its timeout before a test that ignores SIGALRM is killed from outside."""
_SEVERITY: dict[TestOutcome, int] = {
    "passed": 0, "skipped": 1, "failed": 2, "error": 3, "timeout": 4,
}
_POLL = 0.02
_CONFTEST_FAILED = re.compile(r"ImportError while loading conftest '([^']+)'")
_NO_PYTEST = re.compile(r"^(\S+): No module named pytest\s*$", re.MULTILINE)


PYTHON_VAR = "HEALLOOP_PYTHON"
"""Names the interpreter that runs a repository's tests, when none of its own is found."""


def interpreter_for(repo: Path) -> str:
    """Return the Python that runs repo's tests: the one it names, or ours.

    HEALLOOP_PYTHON first, then the repository's ``.venv`` or ``venv``, then the
    virtualenv active where healloop was started, else the Python healloop runs on.
    """
    named = os.environ.get(PYTHON_VAR)
    active = os.environ.get("VIRTUAL_ENV")
    for candidate in (named and Path(named), repo / ".venv" / "bin" / "python",
                      repo / "venv" / "bin" / "python",
                      active and Path(active) / "bin" / "python"):
        if candidate and candidate.exists():
            return str(candidate)
    return sys.executable


def interpreter_note(repo: Path) -> str | None:
    """Say which Python runs repo's tests when the repository does not say (else None)."""
    if interpreter_for(repo) != sys.executable:
        return None
    return (f"tests ran under the Python healloop runs on ({sys.executable}): the repository "
            f"has no .venv or venv and no virtualenv is active; {PYTHON_VAR} names another")


def _pythonpath(workspace: Workspace) -> str:
    parts = [str(_PLUGIN_DIR)]
    src = workspace.path / "src"
    if src.is_dir() and not (src / "__init__.py").exists():
        parts.append(str(src))  # src layout: the copy wins over an editable install
    parts.append(str(workspace.path))
    if existing := os.environ.get("PYTHONPATH"):
        parts.append(existing)
    return os.pathsep.join(parts)


def outside_copy(text: str, root: Path) -> str:
    """Return text with the paths under a scratch copy relative to it.

    The copy's own path, as given or resolved (the longer first), means nothing once
    the copy is gone, and another copy of the same repository has another.
    """
    for prefix in sorted({f"{root}/", f"{root.resolve()}/"}, key=len, reverse=True):
        text = text.replace(prefix, "")
    return text


def telling_line(text: str) -> str:
    """Return the line of a pytest error that says what went wrong.

    That is the exception pytest marks with ``E`` (the first line of the last such
    block, where a traceback ends), else the first line that is not blank.
    """
    lines = [line.rstrip() for line in text.splitlines()]
    marked = [i for i, line in enumerate(lines) if line.startswith("E ")]
    if marked:
        first = marked[-1]
        while first - 1 in marked:
            first -= 1
        return lines[first][1:].strip()
    return next((line.strip() for line in lines if line.strip()), "no output")


class _Progress:
    """The records of one run, read as pytest writes them."""

    def __init__(self, reader: BinaryIO, root: Path) -> None:
        self.reader = reader
        self.root = root
        self.pending = b""
        self.results: dict[str, TestResult] = {}
        self.errors: list[str] = []
        self.uncollected: dict[str, CollectionError] = {}
        self.ignored: set[str] = set()
        self.deselected = 0
        self.stopped_by: set[str] = set()
        self.current: tuple[str, float] | None = None
        self.alarmed: set[str] = set()
        self.ended = False
        """Whether the pytest last run finished its session."""

    def read(self) -> None:
        data = self.pending + self.reader.read()
        end = data.rfind(b"\n") + 1
        self.pending = data[end:]
        for line in data[:end].splitlines():
            try:
                self._take(json.loads(line))
            except (ValueError, TypeError, KeyError):
                self.errors.append(f"unreadable result record: {line[:200]!r}")

    def _take(self, record: dict[str, Any]) -> None:
        if "start" in record:
            self.current = (record["start"], time.monotonic())
        elif "finish" in record:
            self.current = None
        elif "alarm" in record:
            self.alarmed.add(record["alarm"])
        elif "collect_error" in record:
            self.uncollect(record["collect_error"], record["message"],
                           record.get("outside", ""), record.get("lacks", ""),
                           record.get("through", []))
        elif "ignored" in record:
            self.ignored.add(record["ignored"])
        elif "deselected" in record:
            self.deselected = max(self.deselected, int(record["deselected"]))
        elif "ended" in record:
            self.ended = True
        else:
            self.add(TestResult.model_validate(record))

    def uncollect(self, path: str, message: str, outside: str = "", lacks: str = "",
                  through: Sequence[str] = ()) -> None:
        """Record what pytest could not collect, once however often a run restarts."""
        message = self.relative(message)
        if path not in self.uncollected:
            self.uncollected[path] = CollectionError(
                path=path, message=telling_line(message), outside=self.relative(outside),
                lacks=self.relative(lacks), through=list(through))
            self.errors.append(f"{path or 'pytest'}: {message}")

    def relative(self, text: str) -> str:
        """Return text with the scratch copy's paths relative: they mean nothing later."""
        return outside_copy(text, self.root)

    def add(self, result: TestResult) -> None:
        """Keep the worst outcome of a test (a passing call can fail in teardown)."""
        old = self.results.get(result.nodeid)
        if old is None or _SEVERITY[result.outcome] > _SEVERITY[old.outcome]:
            if old is not None and old.message:
                result.message = f"{old.message}\n{result.message}".strip()
            self.results[result.nodeid] = result


FLAKY_RETRIES = 20
"""Failing tests run a second time, at most: more failures than that are no chance."""


def settle_flaky(workspace: Workspace, run: TestRun, tests: set[str],
                 limits: Limits | None = None) -> TestRun:
    """Run the failing tests among tests again; those that pass now were flaky.

    A test that fails once and passes on the same code (a timing, a port, an order)
    says nothing about the code: it must neither be repaired nor count as a
    regression. Timeouts are not run again (the wait would double), and nothing is
    when more than FLAKY_RETRIES tests failed.
    """
    retry = sorted((run.failing - run.ids("timeout")) & tests)
    if not retry or len(retry) > FLAKY_RETRIES:
        return run
    again = run_tests(workspace, retry, limits=limits)
    flaky = sorted(set(retry) & again.passed)
    if not flaky:
        return run
    passed = "failed, then passed when run again: flaky"
    results = [r.model_copy(update={"outcome": "passed", "message": passed})
               if r.nodeid in flaky else r for r in run.results]
    return run.model_copy(update={"results": results, "flaky": flaky})


_NO_NETWORK = re.compile(
    r"Network is unreachable|Temporary failure in name resolution|Name or service not known"
    r"|nodename nor servname provided|No address associated with hostname|socket\.gaierror")
"""What a test says when the network it needs is not there (the sandbox gives none)."""
NO_NETWORK = "the network, which the sandbox does not give"


_LACKING = re.compile(r"(?:attribute|import name|module named) '([\w.]+)'")
"""The name an environment lacks, in the error's line."""


def beyond_change(result: TestResult | CollectionError, changed: Mapping[str, str]) -> str:
    """Say why a failure is none of the changed files' doing, or return ''.

    changed maps each file being changed to its content. A test that fails on an API
    its environment lacks (an attribute of a module, a name to import, that are not
    the project's), with no changed file on the way and none naming what is lacking
    (which it might be the one to set), fails the same whatever they say: toolz's
    functoolz of 2014 asks Python 3.11 for ``inspect.getargspec`` in 14 tests, and no
    fix of its itertoolz changes that.
    """
    if not result.lacks or not changed or set(result.through) & set(changed):
        return ""
    name = _LACKING.search(result.lacks)
    word = name and re.compile(rf"\b{re.escape(name.group(1).rsplit('.', 1)[-1])}\b")
    if not word or any(word.search(content) for content in changed.values()):
        return ""
    where = result.through[-1] if result.through else "code"
    return f"{result.lacks} (in {where}, which the change does not reach)"


def regardless(run: TestRun, failing: Sequence[str], changed: Mapping[str, str]
               ) -> dict[str, str]:
    """Say, by test, why each of failing fails whatever the changed files say.

    Outside the project's code (a program, a file, a package that is not there), for
    want of the network (the sandbox gives none: NO_NETWORK), or on what the
    environment lacks where no changed file reaches (beyond_change).
    """
    results = {r.nodeid: r for r in run.results}
    why: dict[str, str] = {}
    for test in failing:
        result = results[test]
        offline = NO_NETWORK if _NO_NETWORK.search(result.message) else ""
        said = result.outside or offline or beyond_change(result, changed)
        if said:
            why[test] = said
    return why


def leave_outside(run: TestRun, passed_before: set[str],
                  changed: Mapping[str, str] | None = None) -> TestRun:
    """Leave out, as skipped, the failing tests that fail whatever the targets say.

    A test that runs a program the environment lacks fails the same whatever the
    sources say: counted, it holds every version's score down and asks repair for a
    fix no edit makes. So does a test failing on an API the environment lacks in code
    none of the changed files (path to content) reaches (see beyond_change). A test
    that passed before counts whatever the error: a candidate that breaks it is blamed.
    """
    changed = changed or {}
    why = regardless(run, [r.nodeid for r in run.results if r.outcome in ("failed", "error")
                           and r.nodeid not in passed_before], changed)
    out = sorted(why)
    # So does a test file that fails to collect outside the project (an optional package
    # the environment lacks), or on what the environment lacks where the change does not
    # reach, unless some test of it passed before.
    beyond = {e.path: said for e in run.uncollected
              if not e.outside and (said := beyond_change(e, changed))}
    # A test file being changed is never left out: its own code is the change.
    files = [e for e in run.uncollected if (e.outside or e.path in beyond) and e.path
             and e.path not in changed
             and not any(e.covers(t) for t in passed_before)]
    if not out and not files:
        return run
    results = [r.model_copy(update={
        "outcome": "skipped", "outside": why[r.nodeid],
        "message": f"left out, fails whatever the change says: {why[r.nodeid]}"})
        if r.nodeid in why else r for r in run.results]
    results += [TestResult(nodeid=e.path, outcome="skipped", outside=e.outside or beyond[e.path],
                           message="left out, could not collect whatever the change says: "
                                   f"{e.outside or beyond[e.path]}")
                for e in files]
    return run.model_copy(update={
        "results": results, "outside": sorted([*out, *(e.path for e in files)]),
        "uncollected": [e for e in run.uncollected if e not in files]})


def run_tests(
    workspace: Workspace,
    tests: list[str] | None = None,
    *,
    limits: Limits | None = None,
    extra_args: list[str] | None = None,
) -> TestRun:
    """Run pytest on tests (paths or node ids; None: the whole suite) in workspace.

    Returns:
        The outcome of every test that ran, what limits were hit, and which isolation
        was missing. Expected failures (a test timing out, a crash, the run timing
        out) are data in the TestRun, never exceptions.

    """
    limits = limits or Limits()
    key = _options_key(workspace)
    run, failed = _run_known(workspace, tests, limits, extra_args, key)
    # A conftest that fails to import when pytest starts ends the run before any test
    # (exit status 4): the tests beyond its folder run on their own.
    rest = list(tests or [])
    while failed is not None and not run.timed_out:
        kept = [t for t in rest if not failed.covers(t)]
        left = limits.run_timeout - run.duration
        if not kept or len(kept) == len(rest) or left <= 0:
            break
        rest = kept
        more, failed = _run_known(workspace, rest, replace(limits, run_timeout=left),
                                  extra_args, key)
        run = _joined(run, more)
    run.selected = list(tests or [])
    run.dropped_options = addopts.split(key[1], addopts.LEFT_OUT.get(key, []))[1]
    return run


def _run_known(workspace: Workspace, tests: list[str] | None, limits: Limits,
               extra_args: list[str] | None, key: tuple[str, tuple[str, ...]]
               ) -> tuple[TestRun, CollectionError | None]:
    """Run pytest once without the addopts it does not know, learning them if need be.

    addopts may name options of plugins this Python lacks (--cov, -n auto): pytest
    stops before any test. The run goes on without them, as pytest without the
    plugins would have to, and run_tests says which it left out.
    """
    unknown = addopts.LEFT_OUT.setdefault(key, [])
    run, failed = _run(workspace, tests, limits,
                       [*addopts.override(key[1], unknown), *(extra_args or [])])
    if not unknown and (unknown := _unknown_options(run)):
        addopts.LEFT_OUT[key] = unknown
        run, failed = _run(workspace, tests, limits,
                           [*addopts.override(key[1], unknown), *(extra_args or [])])
    return run, failed


PLUGINS_OFF = ("-p", "no:xdist", "-p", "no:pytest_cov")
"""Plugins a run of healloop's never loads, whatever the repository's addopts say: xdist
runs the tests in workers that the results plugin does not hear from (a run without a
result, or an internal error), and pytest-cov traces lines as healloop's coverage map
and repair do. Their options in addopts (-n auto, --cov) are then left out as unknown."""


def addopts_override(workspace: Workspace, limits: Limits | None = None) -> list[str]:
    """Return the arguments that keep the repository's addopts from stopping pytest.

    Empty unless addopts names options this Python's pytest does not know (a plugin
    that is not installed); learnt from the runs so far, else from one pytest start.
    """
    key = _options_key(workspace)
    if key[1] and key not in addopts.LEFT_OUT:
        run_tests(workspace, [_PROBE], limits=limits, extra_args=["--collect-only"])
    return addopts.override(key[1], addopts.LEFT_OUT.get(key, []))


_PROBE = "healloop-no-such-test-file.py"
"""A test path that is never there: pytest reads its options, then stops."""


def _options_key(workspace: Workspace) -> tuple[str, tuple[str, ...]]:
    return str(interpreter_for(workspace.repo)), suite_config(workspace.path).addopts


def _unknown_options(run: TestRun) -> list[str]:
    """Return the addopts words pytest stopped on before any test, else []."""
    if not any(not e.path for e in run.uncollected):
        return []
    return addopts.unknown("\n".join(run.errors))


def _run(workspace: Workspace, tests: list[str] | None, limits: Limits,
         extra_args: list[str] | None) -> tuple[TestRun, CollectionError | None]:
    """Run pytest once on tests; also return the conftest's folder that stopped it."""
    cmd = [
        interpreter_for(workspace.repo), "-m", "pytest", "-q", "-p", "healloop_sandbox_plugin",
        "-p", "no:cacheprovider", "--no-header", "-rN", "--color=no",
        # LangSmith's pytest plugin, installed beside langchain, costs 1.5 s per start.
        "-p", "no:langsmith_plugin", *PLUGINS_OFF,
        # One test module that does not import must not cost the others their results.
        "--continue-on-collection-errors",
        *(extra_args or []), *dict.fromkeys(_function_of(t) for t in tests or []),
    ]
    # A parametrized case runs by its function; the plugin keeps the cases asked for.
    cases = [t for t in tests or [] if _function_of(t) != t and _function_of(t) not in tests]
    # Bookkeeping lives outside the scratch folder: tests cannot write there, and
    # healloop never follows a path a test could have swapped for a symlink.
    with tempfile.TemporaryDirectory(prefix="healloop-run-") as scratch:
        run_dir = Path(scratch)
        results_path = run_dir / "results.jsonl"
        fd = os.open(results_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        try:
            with open(results_path, "rb") as reader:
                progress = _Progress(reader, workspace.path)
                (run_dir / "select.txt").write_text("\n".join(cases), encoding="utf-8")
                run = _attempts(workspace, cmd, limits, progress, fd, run_dir)
        finally:
            os.close(fd)
    failed = next((e for e in run.uncollected if e.path in progress.stopped_by), None)
    return run, failed


def _function_of(test: str) -> str:
    """Return the test function of a parametrized case's id; anything else as it is.

    The sandbox plugin reports a case without the scratch copy's path, which a
    parameter built from ``__file__`` puts in its id, so that id may name no case of
    this copy: the function does.
    """
    return test.split("[", 1)[0] if "::" in test else test


def _joined(first: TestRun, then: TestRun) -> TestRun:
    """Return two runs of one selection, one after the other, as one run."""
    joined = first.model_copy(deep=True)
    joined.results += then.results
    joined.duration += then.duration
    joined.timed_out = then.timed_out
    joined.errors += then.errors
    joined.uncollected += [e for e in then.uncollected
                           if e.path not in {u.path for u in first.uncollected}]
    joined.ignored = sorted({*first.ignored, *then.ignored})
    joined.deselected = max(first.deselected, then.deselected)
    _merge(joined.isolation, then.isolation)
    _merge(joined.limits_hit, then.limits_hit)
    return joined


def _attempts(
    workspace: Workspace, cmd: list[str], limits: Limits, progress: _Progress, fd: int,
    run_dir: Path,
) -> TestRun:
    """Run pytest until every test has an outcome or the run is out of time."""
    start = time.monotonic()
    deadline = start + limits.run_timeout
    deselect_path = run_dir / "done.txt"
    run = TestRun()
    for attempt in range(1, 10_000):
        deselect_path.write_text("\n".join(progress.results), encoding="utf-8")
        progress.ended, done = False, len(progress.results)
        child = ConfinedProcess(
            workspace, cmd, limits, output=run_dir / f"output-{attempt}.log", pass_fds=(fd,),
            env={
                "HEALLOOP_RESULTS_FD": str(fd),
                "HEALLOOP_TEST_TIMEOUT": str(limits.test_timeout),
                "HEALLOOP_DESELECT": str(deselect_path),
                "HEALLOOP_SELECT": str(run_dir / "select.txt"),
                "PYTHONPATH": _pythonpath(workspace),
            },
        )
        hung = _watch(child, progress, deadline, limits.test_timeout + _GRACE)
        code = child.finish()
        progress.read()
        _merge(run.isolation, child.isolation)
        _merge(run.limits_hit, child.limits_hit())
        in_flight = progress.current[0] if progress.current else None
        progress.current = None
        if child.killed and not hung:  # the whole run ran out of time
            run.timed_out = True
            if in_flight:
                progress.add(_timeout(in_flight, "the run timed out while it ran"))
            break
        if in_flight is None:
            if code not in (0, 5) and not progress.results and not progress.uncollected:
                _stopped(progress, code, child.output)
            elif code == 0 and not progress.results and not progress.uncollected:
                # pytest says its tests passed, yet none ran where the plugin could see
                # (a plugin that runs them in other processes): nothing was measured.
                progress.uncollect("", "pytest ran its tests where healloop does not see "
                                   "them (a plugin that runs them in other processes?): "
                                   f"{child.output[-300:].strip()}")
            elif not progress.ended and len(progress.results) > done:
                # It died between two tests (a thread, a finaliser, a memory kill): the
                # tests after them have no outcome yet, so a new pytest runs them.
                progress.errors.append(
                    f"pytest died between two tests ({describe_exit(code)}) after "
                    f"{list(progress.results)[-1]}: the tests left ran in a new pytest")
                if time.monotonic() < deadline:
                    continue
                run.timed_out = True
            break
        if hung:
            progress.add(_timeout(
                in_flight, f"killed after it ignored its {limits.test_timeout:g}s timeout"
            ))
            _merge(run.limits_hit, [f"timeout: {in_flight} was killed from outside"])
        elif in_flight in progress.alarmed:
            progress.add(_timeout(in_flight, "pytest died while the test timed out"))
        else:
            progress.add(TestResult(
                nodeid=in_flight, outcome="error",
                message=f"the test process died ({describe_exit(code)}) during this test: "
                        f"{child.output[-1000:]}",
            ))
        if time.monotonic() >= deadline:
            run.timed_out = True
            break
    run.results = list(progress.results.values())
    run.errors.extend(progress.errors)
    run.uncollected = list(progress.uncollected.values())
    run.ignored = sorted(progress.ignored)
    run.deselected = progress.deselected
    run.duration = time.monotonic() - start
    # Python turns these two limits into exceptions, so they show in test messages.
    signs = {
        "MemoryError": f"memory: a test ran out of its {limits.memory_mb} MiB",
        "File too large": f"file size: a test reached the {limits.file_size_mb} MiB limit",
    }
    for sign, note in signs.items():
        if any(sign in r.message for r in run.results if r.outcome != "passed"):
            _merge(run.limits_hit, [note])
    return run


def _stopped(progress: _Progress, code: int | None, output: str) -> None:
    """Record a pytest that ended before running a test, and a conftest that ended it."""
    output = output[-2000:]
    conftest = _CONFTEST_FAILED.search(progress.relative(output))
    folder = conftest.group(1).rpartition("/")[0] if conftest else ""
    if conftest and not Path(conftest.group(1)).is_absolute():
        progress.stopped_by.add(folder)
    else:
        folder = ""  # a conftest outside the copy, or no test could run at all
    if missing := _NO_PYTEST.search(output):
        python = missing.group(1)
        progress.uncollect("", f"pytest is not installed for {python}: install it there "
                           f"({python} -m pip install pytest), or name a Python that has it "
                           f"with {PYTHON_VAR}")
        return
    progress.uncollect(folder, f"pytest {describe_exit(code)}: {output}")


def _watch(child: ConfinedProcess, progress: _Progress, deadline: float, per_test: float) -> bool:
    """Wait for pytest to end, killing it at the run deadline or on a hung test.

    Returns:
        Whether a hung test was the reason to kill it.

    """
    while not child.exited():
        progress.read()
        now = time.monotonic()
        if now >= deadline:
            child.kill()
            return False
        if progress.current and now - progress.current[1] > per_test:
            child.kill()
            return True
        time.sleep(_POLL)
    return False


def _timeout(nodeid: str, why: str) -> TestResult:
    return TestResult(nodeid=nodeid, outcome="timeout", message=why)


def _merge(into: list[str], notes: list[str]) -> None:
    into.extend(n for n in notes if n not in into)
