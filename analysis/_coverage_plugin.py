"""pytest plugin copied into a scratch copy: record which test ran which files.

Loaded with ``-p _healloop_coverage_plugin`` from the root of the copy; it measures
the copy only and switches the coverage context to each test's node id, then writes
``healloop-coverage-<pid>.json`` beside the copy: the node ids, and per file and line the
indices of the tests that ran it (-1: run while importing, outside any test).

What runs while pytest imports a test module to collect it (a parameter built by
calling the code under test) is told apart: per line, the test files whose collection
ran it ("" for any other code run outside a test), and per test file, the modules of
the copy its collection imported first.

What a fixture of a wider scope than a test runs while it is set up (a session's
client, a module's database) runs once, inside the first test that asks for it, but
every test that asks for it gets what it built: its lines are attributed to every
test whose fixtures include it (the fixture's name, under the folder, module or class
that defines it), and to the test that set it up.

A test that runs the code in another Python process (``subprocess.run([sys.executable,
"-m", "pkg.cli"])``) is measured there too: the plugin puts a ``sitecustomize`` on
the ``PYTHONPATH`` its children inherit (and adds it to an environment a test gives a
child of its own), which starts coverage in any child whose interpreter has it, under
the context of the test (or fixture) running when it started; a forked child (a
process pool's worker) is measured apart in the same way; a worker that outlives the
test that forked it (a pool kept for later tests) counts for every test that ran
while it lived, and one still running when the session ends is asked to save first.
What children ran is kept apart ("children"): a child started afresh imports the
code, so its run of a module's top level is an import, not a test's call. A Python
child that reads no ``sitecustomize`` (``-S``, ``-I``, ``-E``) cannot be measured: the
tests that start one are listed ("unmeasured"), and any change to code runs them.

Measuring starts when pytest imports the plugin, which ``-p`` does before it loads any
``conftest.py``: a conftest that imports the package under test runs its import-time
code (constants, registries filled by a function the module calls) before the first
test, and a map that missed it would show those lines as run by no test at all.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import coverage
import pytest

_ROOT = Path(__file__).resolve().parent
_cov = coverage.Coverage(data_file=None, source=[str(_ROOT)], config_file=False)
_cov.start()
_CHILDREN = _ROOT.parent / "healloop-children"
"""Where children's data files go, beside the ``sitecustomize`` that measures them
(``_child_coverage.py``, put there by ``collect_coverage_map``)."""
(_CHILDREN / "data").mkdir(parents=True, exist_ok=True)
_WORKERS = _CHILDREN / "workers"
"""Where forked workers say they listen for a request to save, and that they saved."""
_WORKERS.mkdir(exist_ok=True)


def _measuring(env: MutableMapping[str, str]) -> None:
    """Put into env what a child needs to be measured.

    The ``sitecustomize`` first on its ``PYTHONPATH``, where to save what it runs, and
    which folder to measure.
    """
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(_CHILDREN), env.get("PYTHONPATH")) if p)
    env["HEALLOOP_COVERAGE_CHILDREN"] = str(_CHILDREN)
    env["HEALLOOP_COVERAGE_SOURCE"] = str(_ROOT)


_measuring(os.environ)
_popen_init = subprocess.Popen.__init__


@functools.wraps(_popen_init)
def _measured_popen(self: subprocess.Popen, *args: Any, **kwargs: Any) -> None:
    """Start a child given an environment of its own (``env={"PATH": ...}``) measured too.

    It would drop what this process's environment passes on: the ``PYTHONPATH`` entry
    of the ``sitecustomize`` and the context of the test running now.
    """
    try:
        if _unmeasurable(kwargs.get("args", args[0] if args else None), kwargs):
            _unmeasured.add(_contexts[-1])
    except (TypeError, ValueError):
        pass  # arguments Popen itself will judge
    env = kwargs.get("env")
    if env is not None and all(isinstance(k, str) for k in env):
        env = dict(env)
        _measuring(env)
        if "HEALLOOP_COVERAGE_CONTEXT" in os.environ:
            env["HEALLOOP_COVERAGE_CONTEXT"] = os.environ["HEALLOOP_COVERAGE_CONTEXT"]
        kwargs["env"] = env
    _popen_init(self, *args, **kwargs)


subprocess.Popen.__init__ = _measured_popen
_unmeasured: set[str] = set()
"""Contexts that started a Python child no measuring reaches (``-S``, ``-I``, ``-E``)."""


def _unmeasurable(command: object, kwargs: dict[str, Any]) -> bool:
    """Return whether command runs Python in a mode that ignores the measuring set-up.

    ``-S`` skips ``sitecustomize``; ``-I`` and ``-E`` ignore ``PYTHONPATH``.
    """
    if isinstance(command, str):
        try:
            command = shlex.split(command) if kwargs.get("shell") else [command]
        except ValueError:
            return False
    if not isinstance(command, (list, tuple)) or not command:
        return False
    program = os.path.basename(os.fsdecode(kwargs.get("executable") or command[0]))
    if not re.fullmatch(r"python[\d.]*(\.exe)?", program):
        return False
    options = iter(os.fsdecode(a) if isinstance(a, (str, bytes, os.PathLike)) else ""
                   for a in command[1:])
    for option in options:
        if not option.startswith("-") or option.startswith("--") or option == "-":
            return False  # the script, or options past which none of these can come
        flags = re.split(r"[cmWX]", option[1:], maxsplit=1)
        if set(flags[0]) & set("ISE"):
            return True
        if len(flags) > 1:
            if option[1 + len(flags[0])] in "cm":
                return False  # what follows is the command or module
            if not flags[1]:
                next(options, None)  # -W and -X take the next argument
    return False


_ran: list[str] = []
_COLLECTING = "collect:"
_FIXTURE = "fixture:"
_first_imports: dict[str, list[str]] = {}
_contexts: list[str] = [""]
"""The coverage context of what runs now, innermost last."""
_fixtures_used: dict[str, set[str]] = {}
"""Node id -> the contexts of the fixtures the test gets, directly or through others."""
_set_up_in: dict[str, set[str]] = {}
"""Fixture context -> the tests running while it was set up."""


def _enter(context: str) -> None:
    _contexts.append(context)
    _switch(context)


def _leave() -> None:
    _contexts.pop()
    _switch(_contexts[-1])


def _switch(context: str) -> None:
    """Measure what runs from now on, here and in children started now, under context."""
    _cov.switch_context(context)
    os.environ["HEALLOOP_COVERAGE_CONTEXT"] = context


def _in_forked_child() -> None:
    """Measure a forked child (a process pool's worker) as a child, not as this process.

    Its copy of this process's measurements is dropped, and what it runs is saved
    apart when it ends, also through multiprocessing, whose workers end with
    ``os._exit`` and never run ``atexit``.
    """
    global _forked
    _cov.stop()
    context = _contexts[-1]
    if not context:
        return
    child = coverage.Coverage(
        data_file=str(_CHILDREN / "data" / f"{os.getpid()}-{uuid.uuid4().hex}"),
        source=[str(_ROOT)], config_file=False, context=context)
    child.start()
    _forked = child  # util.register_after_fork holds it weakly
    saving: dict[str, object] = {"started": False, "done": False, "signal": None}

    owner = os.getpid()

    def save() -> None:
        if saving["started"] or os.getpid() != owner:  # not in a child it forks in turn
            return
        saving["started"] = True
        child.stop()
        child.save()
        saving["done"] = True
        (_WORKERS / f"{owner}.saved").touch()
        if saving["signal"]:  # a termination came while it saved: end the way it asked
            _die(signal.SIGTERM)

    atexit.register(save)
    leave = os._exit  # a plain os.fork() child usually ends by it, skipping atexit

    def exit_saving(status: int) -> None:
        save()
        leave(status)

    os._exit = exit_saving
    # A multiprocessing worker drops the finalizers it inherits, then runs the
    # after-fork callbacks: the one registered here adds save to its own.
    from multiprocessing import util

    util.register_after_fork(child, lambda _: util.Finalize(None, save, exitpriority=100))
    # A pool leaving its with block terminates its workers, maybe while one saves.
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        def terminated(signum: int, frame: object) -> None:
            if saving["started"] and not saving["done"]:
                saving["signal"] = signum  # save() ends it when it has saved
                return
            save()
            _die(signum)

        signal.signal(signal.SIGTERM, terminated)
    # A worker that outlives the session's last test is asked to save before it ends.
    if signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL:
        signal.signal(signal.SIGUSR1, lambda signum, frame: save())
        (_WORKERS / f"{owner}.listening").touch()


def _die(signum: int) -> None:
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


_forked: coverage.Coverage | None = None
os.register_at_fork(after_in_child=_in_forked_child)


def _in_copy(module: object) -> str | None:
    path = getattr(module, "__file__", None)
    try:
        return Path(path).resolve().relative_to(_ROOT).as_posix() if path else None
    except ValueError:
        return None


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):  # noqa: ANN201
    """Attribute what importing a test module runs to its file, and what it imports first."""
    if not isinstance(collector, (pytest.Module, pytest.Class)):
        yield
        return
    test_file = collector.nodeid.split("::", 1)[0]
    before = set(sys.modules)
    _enter(_COLLECTING + test_file)
    yield
    _leave()
    first = (_in_copy(sys.modules.get(name)) for name in set(sys.modules) - before)
    _first_imports.setdefault(test_file, []).extend(sorted(f for f in first if f))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):  # noqa: ANN201
    """Attribute every line the test runs (setup, call, teardown) to its node id."""
    _ran.append(item.nodeid)
    _fixtures_used[item.nodeid] = _fixtures_of(item)
    alive = _workers()
    _enter(item.nodeid)
    yield
    _leave()
    for pid in alive | _workers():
        _outlived.setdefault(pid, set()).add(item.nodeid)


_outlived: dict[int, set[str]] = {}
"""Worker pid -> the tests it was alive for: a pool a test keeps serves later tests."""


def _workers() -> set[int]:
    """Return the pids of this process's multiprocessing children still running."""
    process = sys.modules.get("multiprocessing.process")
    if process is None:
        return set()
    return {p.pid for p in list(process._children)  # noqa: SLF001
            if getattr(p, "_popen", None) is not None and p._popen.returncode is None}


def _flush_workers(seconds: float = 5.0) -> None:
    """Have the workers still running save what they ran, and wait for them.

    A pool kept for the whole session ends only at exit, after this plugin writes. Only
    a worker that said it listens is asked (SIGUSR1 would end any other).
    """
    asked = []
    for pid in _workers():
        if (_WORKERS / f"{pid}.listening").exists():
            try:
                os.kill(pid, signal.SIGUSR1)
            except OSError:
                continue
            asked.append(pid)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not all(
            (_WORKERS / f"{pid}.saved").exists() for pid in asked):
        time.sleep(0.02)


def _key(fixturedef: pytest.FixtureDef) -> str:
    return f"{_FIXTURE}{fixturedef.baseid}::{fixturedef.argname}"


def _fixtures_of(item: pytest.Item) -> set[str]:
    """Return the contexts of the fixtures item gets.

    For each name, the definition closest to the test, and the one it overrides when
    it asks for its own name.
    """
    info = getattr(item, "_fixtureinfo", None)
    if info is None:  # not a function, or a pytest without it: every fixture so named
        return {f"{_FIXTURE}*::{name}" for name in getattr(item, "fixturenames", ())}
    used = set()
    for name, chain in info.name2fixturedefs.items():
        for fixturedef in reversed(chain):
            used.add(_key(fixturedef))
            if name not in fixturedef.argnames:
                break
    return used


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest
                         ):  # noqa: ANN201
    """Attribute what setting up a fixture wider than a test runs to the fixture."""
    if fixturedef.scope == "function":
        yield
        return
    context = _key(fixturedef)
    _set_up_in.setdefault(context, set()).add(_contexts[-1])
    _enter(context)
    try:
        yield
    finally:
        _leave()


def _users(context: str) -> set[str]:
    """Return the tests that got what a fixture context built."""
    anywhere = f"{_FIXTURE}*::{context.rsplit('::', 1)[1]}"
    return {t for t in _set_up_in.get(context, ()) if t in _fixtures_used} | {
        nodeid for nodeid, used in _fixtures_used.items() if context in used or anywhere in used}


def _tests_of(context: str, tests: dict[str, int]) -> set[int]:
    """Return the tests a context stands for: its test, a fixture's users, a file's tests."""
    if context.startswith(_FIXTURE):
        return {tests[t] for t in _users(context)}
    if context.startswith(_COLLECTING):
        prefix = context.removeprefix(_COLLECTING) + "::"
        return {i for t, i in tests.items() if t.startswith(prefix)}
    return {tests[context]} if context in tests else set()


def _children_ran(tests: dict[str, int]) -> dict[str, dict[int, list[int]]]:
    """Return per file and line the tests whose child processes ran it."""
    ran: dict[str, dict[int, set[int]]] = {}
    for data_file in sorted((_CHILDREN / "data").iterdir()):
        data = coverage.CoverageData(basename=str(data_file))
        try:
            data.read()
        except coverage.CoverageException:
            continue  # a child killed while it saved
        pid = data_file.name.split("-", 1)[0]
        served = {tests[t] for t in _outlived.get(int(pid) if pid.isdigit() else -1, ())
                  if t in tests}
        for path in data.measured_files():
            for line, contexts in (data.contexts_by_lineno(path) or {}).items():
                ids = set().union(*(_tests_of(c, tests) for c in contexts), served)
                if ids:
                    ran.setdefault(path, {}).setdefault(line, set()).update(ids)
    return {path: {line: sorted(ids) for line, ids in lines.items()}
            for path, lines in ran.items()}


def pytest_unconfigure(config: pytest.Config) -> None:
    """Write the tests in the order they ran, and who ran each line (-1: at import)."""
    _cov.stop()
    os.environ.pop("HEALLOOP_COVERAGE_CONTEXT", None)
    _flush_workers()
    data = _cov.get_data()
    tests = {nodeid: index for index, nodeid in enumerate(dict.fromkeys(_ran))}
    users = {c: _tests_of(c, tests) for c in data.measured_contexts()
             if c.startswith(_FIXTURE)}
    files, outside = {}, {}
    for path in data.measured_files():
        lines, collected = {}, {}
        for line, contexts in data.contexts_by_lineno(path).items():
            outside_tests = {c.removeprefix(_COLLECTING) for c in contexts
                             if not c or c.startswith(_COLLECTING)}
            ids = set().union(*(users[c] for c in contexts if c in users))
            ids |= {tests.setdefault(c, len(tests)) for c in contexts
                    if c and not c.startswith((_COLLECTING, _FIXTURE))}
            lines[line] = sorted(ids | ({-1} if outside_tests else set()))
            if outside_tests - {""}:
                collected[line] = sorted(outside_tests)
        files[path] = lines
        if collected:
            outside[path] = collected
    out = {"tests": sorted(tests, key=tests.__getitem__), "files": files,
           "outside": outside, "first_imports": _first_imports,
           "children": _children_ran(tests),
           "unmeasured": sorted(set().union(*(_tests_of(c, tests) for c in _unmeasured)))}
    # One record per pytest process: a run that restarts pytest after a test it had to
    # kill has several, and the killed one wrote none (see collect_coverage_map).
    record = _ROOT.parent / f"healloop-coverage-{os.getpid()}.json"
    record.write_text(json.dumps(out), encoding="utf-8")
