"""A fork server that runs a repository's tests against many versions of one module.

Checking a candidate edit with a fresh pytest process costs half a second; repair
tries hundreds of them. This script runs inside the scratch copy, under the
repository's own interpreter, so it must not import healloop. It collects the tests
once ("hot" mode), then for each candidate forks a child that writes the candidate to
disk, executes it into the already imported module, rebinds the names other modules
imported from it, and runs only the requested tests. When that shortcut cannot be
trusted the engine asks for "fresh" mode, where each child runs a whole pytest
session on the candidate instead: slower, but exactly what a real run sees.

Protocol: the first line on stdin is a JSON config; then one JSON request per line,
one JSON answer per line on the original stdout (the tests' own output goes to
/dev/null). Outcomes: passed, failed, error, skipped, timeout, missing, not_run.
"""

from __future__ import annotations

import gc
import json
import os
import select
import signal
import sys
import time
import types
from abc import ABCMeta

import pytest

_FAIL_RANK = {"passed": 0, "skipped": 0, "failed": 2, "error": 3, "timeout": 4}
_PLAIN_METACLASSES = (type, ABCMeta)
_PRESERVED = ("__name__", "__file__", "__package__", "__spec__", "__loader__",
              "__builtins__", "__path__", "__cached__")


class TestTimeout(BaseException):
    """Raised inside a test that ran past its time."""


def _alarm(signum, frame):
    raise TestTimeout("test exceeded its time")


class LineTracer:
    """Per-test line coverage of some files: coverage.py contexts, or sys.settrace.

    With under (a folder), every file below it is recorded too.
    """

    def __init__(self, paths, under=None):
        self.paths = set(paths)
        self.under = os.path.join(under, "") if under else None
        self.lines = {}
        self._cov = None
        self._nodeid = None
        try:
            import coverage
        except ImportError:
            return
        include = sorted(self.paths) + ([self.under + "*"] if self.under else [])
        self._cov = coverage.Coverage(data_file=None, include=include, config_file=False)

    def _wanted(self, path):
        return path in self.paths or (self.under is not None and path.startswith(self.under))

    def start(self):
        """Start recording."""
        if self._cov is not None:
            self._cov.start()
        else:
            sys.settrace(self._global)

    def switch(self, nodeid):
        """Attribute the lines run from now on to the test nodeid."""
        self._nodeid = nodeid
        for path in self.paths:
            self.lines.setdefault(path, {}).setdefault(nodeid, set())
        if self._cov is not None:
            self._cov.switch_context(nodeid)

    def stop(self):
        """Stop recording; return per file the lines each test ran."""
        if self._cov is None:
            sys.settrace(None)
            found = self.lines
        else:
            self._cov.stop()
            data = self._cov.get_data()
            found = {}
            for measured in data.measured_files():
                path = os.path.realpath(measured)
                if not self._wanted(path):
                    continue
                tests = found.setdefault(path, {})
                for line, contexts in data.contexts_by_lineno(measured).items():
                    for context in contexts:
                        if context:
                            tests.setdefault(context, set()).add(line)
        return {path: {k: sorted(v) for k, v in tests.items()} for path, tests in found.items()}

    def _global(self, frame, event, arg):
        if self._wanted(frame.f_code.co_filename):
            return self._local
        return None

    def _local(self, frame, event, arg):
        if event == "line" and self._nodeid is not None:
            tests = self.lines.setdefault(frame.f_code.co_filename, {})
            tests.setdefault(self._nodeid, set()).add(frame.f_lineno)
        return self._local


class Reporter:
    """A pytest plugin living in the child: timeouts, tracing, streaming outcomes."""

    def __init__(self):
        self.fd = None
        self.timeout = 0.0
        self.tracer = None
        self.traced = None
        self.traced_also = {}
        self.root = None
        self.elsewhere = False
        self.stop_on_fail = False
        self.stop_on_timeout = False
        self.expected = 0
        self.worst = {}
        self.done = 0

    def pytest_runtest_setup(self, item):
        """Arm the per-test timer and switch the coverage context."""
        if self.fd is None:
            return
        if self.tracer is not None:
            self.tracer.switch(item.nodeid)
        if self.timeout > 0:
            signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, self.timeout)
        _send(self.fd, {"start": item.nodeid})

    def pytest_runtest_logreport(self, report):
        """Keep the worst outcome of a test's setup, call and teardown."""
        if self.fd is None:
            return
        outcome = report.outcome
        if report.failed:
            text = str(report.longrepr or "")
            if "TestTimeout" in text:
                outcome = "timeout"
            elif report.when != "call":
                outcome = "error"
        previous = self.worst.get(report.nodeid, "passed")
        if _FAIL_RANK.get(outcome, 0) >= _FAIL_RANK.get(previous, 0):
            self.worst[report.nodeid] = outcome

    def pytest_runtest_logfinish(self, nodeid, location):
        """Disarm the timer and stream the outcome to the server."""
        if self.fd is None:
            return
        signal.setitimer(signal.ITIMER_REAL, 0)
        outcome = self.worst.get(nodeid, "error")
        message = {"nodeid": nodeid, "outcome": outcome}
        at = _FAILED_AT.pop(nodeid, None)
        if at is not None and outcome == "failed":
            message["at"] = at
        _send(self.fd, message)
        self.done += 1
        # Leaving at once also skips pytest's unconfigure, a tenth of a second of gc.
        if self.done >= self.expected or (
            self.stop_on_fail and outcome not in ("passed", "skipped")
        ) or (
            self.stop_on_timeout and outcome == "timeout"
        ):
            _finish(self)


def _send(fd, message):
    data = (json.dumps(message) + "\n").encode()
    while data:
        data = data[os.write(fd, data):]


def _finish(reporter):
    if reporter.tracer is not None:
        found = reporter.tracer.stop()
        _send(reporter.fd, {"lines": found.get(reporter.traced, {}),
                            "also": {rel: found.get(path, {})
                                     for rel, path in reporter.traced_also.items()},
                            "elsewhere": _elsewhere(reporter, found)
                            if reporter.elsewhere else {}})
    _send(reporter.fd, {"end": True})
    os._exit(0)


def _elsewhere(reporter, found):
    """Return the most suspicious line of every other file the tests ran, and its score.

    The score is Ochiai's (failing tests that ran the line, against the square root of
    all failing tests times all tests that ran it), as the engine ranks the target's
    lines; a file no failing test ran is left out. Only the best line of each file is
    sent: the whole coverage of a project is too much to stream back.
    """
    failing = {t for t, o in reporter.worst.items() if o in ("failed", "error", "timeout")}
    traced = {reporter.traced, *reporter.traced_also.values()}
    best = {}
    for path, tests in found.items():
        if path in traced or not failing:
            continue
        ran = {}
        for nodeid, lines in tests.items():
            if nodeid in reporter.worst:
                for line in lines:
                    ran.setdefault(line, []).append(nodeid in failing)
        scored = [(sum(f) / (len(failing) * len(f)) ** 0.5, -line)
                  for line, f in ran.items() if any(f)]
        if scored:
            score, line = max(scored)
            best[os.path.relpath(path, reporter.root)] = [-line, round(score, 4)]
    return best


class Server:
    """Serve requests from the engine, forking one child per request."""

    def __init__(self, config, proto_in, proto_out):
        self.root = config["root"]
        self.target = os.path.realpath(os.path.join(self.root, config["target"]))
        self.mode = config.get("mode", "hot")
        self.args = config.get("pytest_args", [])
        self.tests = config["tests"]
        self.proto_in = proto_in
        self.proto_out = proto_out
        self.reporter = Reporter()
        self.items = {}
        self.session = None
        self.collect_errors = []
        self._modules = None
        self._doctests = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        """Serve candidates from inside the session pytest collected once (hot mode)."""
        self.session = session
        self.items = {item.nodeid: item for item in session.items}
        self.project_modules()
        gc.freeze()  # children share the server's memory instead of copying it
        session.config.pluginmanager.register(self.reporter, "healloop-repair-reporter")
        self.serve()
        return True

    def pytest_collectreport(self, report):
        """Remember collection errors for the ready message."""
        if report.failed:
            self.collect_errors.append(f"{report.nodeid}: {str(report.longrepr)[-500:]}")

    def serve(self):
        """Answer requests until the engine says quit."""
        self.answer({"ready": True, "collected": sorted(self.items),
                     "errors": self.collect_errors})
        for line in self.proto_in:
            request = json.loads(line)
            if request.get("quit"):
                break
            self.answer(self.run(request))

    def answer(self, message):
        """Send one JSON line to the engine."""
        self.proto_out.write(json.dumps(message) + "\n")
        self.proto_out.flush()

    def run(self, request):
        """Run one request in a forked child and return its outcomes."""
        tests = request["tests"]
        timeout = float(request.get("timeout", 10.0))
        outcomes = {}
        if self.mode == "hot":
            for nodeid in tests:
                if nodeid not in self.items:
                    outcomes[nodeid] = "missing"
            tests = [t for t in tests if t not in outcomes]
        started = time.perf_counter()
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            try:
                self.child(request, tests, timeout, write_fd)
            finally:
                os._exit(70)
        os.close(write_fd)
        failed_at = {}
        traced, crashed = self.collect(pid, read_fd, tests, timeout, outcomes, failed_at)
        for nodeid in tests:
            outcomes.setdefault(nodeid, "not_run")
        traced = traced or {}
        return {"outcomes": outcomes, "failed_at": failed_at, "lines": traced.get("target"),
                "also": traced.get("also", {}), "elsewhere": traced.get("elsewhere", {}),
                "crashed": crashed,
                "seconds": time.perf_counter() - started}

    def collect(self, pid, fd, tests, timeout, outcomes, failed_at):
        """Read the child's stream; kill it when a test overruns its time."""
        buffer = b""
        lines = None
        current = None
        ended = False
        grace = timeout + 2.0
        deadline = time.monotonic() + grace + 5.0
        while not ended:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(left, 0))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                if current is not None:
                    outcomes[current] = "timeout"
                break
            chunk = os.read(fd, 65536)
            if not chunk:
                if current is not None and current not in outcomes:
                    outcomes[current] = "error"
                break
            buffer += chunk
            while b"\n" in buffer:
                raw, buffer = buffer.split(b"\n", 1)
                message = json.loads(raw)
                if "start" in message:
                    current = message["start"]
                    deadline = time.monotonic() + grace
                elif "nodeid" in message:
                    outcomes[message["nodeid"]] = message["outcome"]
                    if "at" in message:
                        failed_at[message["nodeid"]] = message["at"]
                    current = None
                    deadline = time.monotonic() + grace
                elif "lines" in message:
                    lines = {"target": message["lines"], "also": message.get("also", {}),
                             "elsewhere": message.get("elsewhere", {})}
                elif "end" in message:
                    ended = True
        os.close(fd)
        _, status = os.waitpid(pid, 0)
        crashed = not ended
        return lines, crashed

    def child(self, request, tests, timeout, fd):
        """Install the candidate and run the tests; never returns."""
        sys.stdin = open(os.devnull)
        _terse_failures()
        source = request.get("source")
        if source is not None:
            with open(self.target, "w", encoding="utf-8") as fh:
                fh.write(source)
        reporter = self.reporter
        reporter.fd = fd
        reporter.timeout = timeout
        reporter.stop_on_fail = bool(request.get("stop_on_fail"))
        reporter.stop_on_timeout = bool(request.get("stop_on_timeout"))
        reporter.expected = len(tests)
        reporter.traced = self.target
        reporter.traced_also = {rel: os.path.realpath(os.path.join(self.root, rel))
                                for rel in request.get("trace_also", [])}
        traced = [self.target, *reporter.traced_also.values()]
        reporter.root = os.path.realpath(self.root)
        reporter.elsewhere = bool(request.get("trace") and request.get("elsewhere"))
        reporter.tracer = (LineTracer(traced, reporter.root if reporter.elsewhere else None)
                           if request.get("trace") else None)
        if reporter.tracer is not None:
            reporter.tracer.start()
        if self.mode == "hot":
            if source is not None:
                self.install(source)
            items = [self.items[t] for t in tests]
            for index, item in enumerate(items):
                nextitem = items[index + 1] if index + 1 < len(items) else None
                item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        elif tests:
            pytest.main([*self.args, *selectors(tests)], plugins=[reporter, _Only(tests)])
        _finish(reporter)

    def install(self, source):
        """Execute the candidate into the imported module and rebind its names."""
        code = compile(source, self.target, "exec")
        targets, others = self.project_modules()
        for module in targets:
            old = dict(module.__dict__)
            namespace = module.__dict__
            for key in list(namespace):
                if key not in _PRESERVED:
                    del namespace[key]
            exec(code, namespace)
            _keep_objects(module, old)
            _rebind(module, old, others)
            # A doctest runs in a copy of its module's names, taken at collection.
            for globs in self.doctest_globals(module.__name__):
                globs.update(namespace)

    def doctest_globals(self, name):
        """Return the namespaces the collected doctests of the module name run in."""
        if self._doctests is None:
            self._doctests = {}
            for item in self.items.values():
                globs = getattr(getattr(item, "dtest", None), "globs", None)
                if isinstance(globs, dict):
                    self._doctests.setdefault(globs.get("__name__"), []).append(globs)
        return self._doctests.get(name, [])

    def project_modules(self):
        """Return the modules loaded from the target, and the other project modules.

        Worked out once in the server: resolving the paths of a thousand loaded
        modules for every candidate would cost more than running its tests.
        """
        if self._modules is None:
            root = os.path.realpath(self.root) + os.sep
            targets, others = [], []
            for module in list(sys.modules.values()):
                path = _file_of(module)
                if path == self.target:
                    targets.append(module)
                elif path is not None and path.startswith(root):
                    others.append(module)
            self._modules = (targets, others)
        return self._modules


def selectors(tests):
    """Return what to give pytest to collect tests: each parametrized case by its function.

    pytest cannot select some case ids it made itself (``test_x[]`` for an empty
    string, an id with ``::`` or ``/`` in it), and a case id built from the clock or a
    path is another id in the next collection; one id pytest cannot find ends the
    whole session. Its function always collects; the cases are picked from its items.
    """
    return list(dict.fromkeys(t.split("[", 1)[0] if "[" in t else t for t in tests))


class _Only:
    """Keep only the items asked for, when pytest was given their functions (fresh mode)."""

    def __init__(self, tests):
        self.wanted = set(tests)

    def pytest_collection_modifyitems(self, session, config, items):
        kept = [item for item in items if item.nodeid in self.wanted]
        if len(kept) < len(items):
            items[:] = kept


_FAILED_AT = {}
"""Where each failed test failed, by node id: [line of its own file, exception type]."""


def _terse_failures():
    """Make failure reports one line: formatting tracebacks costs 0.1 s per failing test.

    Only the outcome and where the test failed matter here, and pytest's traceback
    formatting walks every loaded module (inspect.getmodule) for each frame.
    """
    try:
        from _pytest import nodes
    except ImportError:
        return

    def short(self, excinfo, style=None):
        at = _line_in(excinfo, str(getattr(self, "path", None) or self.fspath))
        if at is not None:
            _FAILED_AT[self.nodeid] = [at, excinfo.typename]
        return f"{excinfo.typename}: {str(excinfo.value)[:200]}"

    nodes.Node._repr_failure_py = short


def _line_in(excinfo, path):
    """Return the last line of path the traceback went through (1-based), or None."""
    try:
        for entry in reversed(excinfo.traceback):
            if str(entry.path) == path:
                return entry.lineno + 1
    except Exception:  # noqa: BLE001 - a traceback pytest cannot walk tells nothing
        return None
    return None


def _file_of(module):
    path = getattr(module, "__file__", None)
    return os.path.realpath(path) if isinstance(path, str) else None


_CLASS_KEEPS = ("__dict__", "__weakref__", "_abc_impl")
"""What a class keeps of its own when the candidate's version of it is copied in: its
instances' layout, and the registry of an abstract base class."""


def _keep_objects(module, old):
    """Keep the module's classes and functions as they were, with the candidate's contents.

    Subclasses in other modules, instances made at import, ``isinstance`` checks and
    tables or registries filled at import hold the objects the module defined when it
    was imported: new objects would leave them with the old code, and a fix to a base
    class or to a registered function would never be seen. So each class the candidate
    defines again is copied into the old one, unless it cannot be (another metaclass,
    other bases, other slots), and each function gets the new code, unless its
    closure differs; what cannot be kept is replaced, as before.
    """
    new = module.__dict__
    kept = {}
    for name, before in old.items():
        after = new.get(name)
        if before is after or getattr(before, "__module__", None) != module.__name__:
            continue
        if (isinstance(before, type) and isinstance(after, type)
                and _copyable(before, after, kept)):
            _copy_class(before, after)
            kept[id(after)] = before
            new[name] = before
        elif _update_function(before, after):
            new[name] = before


def _update_function(before, after):
    """Give the function before the code and defaults of after; False when it cannot."""
    if not (isinstance(before, types.FunctionType) and isinstance(after, types.FunctionType)):
        return False
    if before.__code__.co_freevars != after.__code__.co_freevars:
        return False
    wrapped = getattr(before, "__wrapped__", None), getattr(after, "__wrapped__", None)
    if (wrapped[0] is None) != (wrapped[1] is None):
        return False
    # A decorator's wrapper holds the function it wraps in its closure: update that too.
    if wrapped[0] is not None and wrapped[0] is not wrapped[1]:
        _update_function(*wrapped)
    before.__code__ = after.__code__
    before.__defaults__ = after.__defaults__
    before.__kwdefaults__ = after.__kwdefaults__
    before.__annotations__ = after.__annotations__
    before.__doc__ = after.__doc__
    return True


def _copyable(before, after, kept):
    if type(before) is not type(after) or type(before) not in _PLAIN_METACLASSES:
        return False
    if len(before.__bases__) != len(after.__bases__):
        return False
    # The project's Python may predate zip(strict=); the lengths are equal.
    pairs = zip(after.__bases__, before.__bases__)  # noqa: B905
    if any(kept.get(id(a), a) is not b for a, b in pairs):
        return False
    return before.__dict__.get("__slots__") == after.__dict__.get("__slots__")


def _copy_class(before, after):
    for key in [k for k in before.__dict__ if k not in after.__dict__]:
        if key not in _CLASS_KEEPS and not _layout(before.__dict__[key]):
            delattr(before, key)
    for key, value in after.__dict__.items():
        if key in _CLASS_KEEPS or _layout(value):
            continue
        if _update_function(before.__dict__.get(key), value):
            continue  # the method bound at import (a handler, a callback) runs the new code
        setattr(before, key, value)
        for function in _functions(value):
            # super() with no arguments finds the class in the cell __class__.
            code = function.__code__
            if "__class__" in code.co_freevars:
                cell = function.__closure__[code.co_freevars.index("__class__")]
                if cell.cell_contents is after:
                    cell.cell_contents = before


def _layout(value):
    return isinstance(value, (types.MemberDescriptorType, types.GetSetDescriptorType))


def _functions(value):
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    if isinstance(value, property):
        parts = (value.fget, value.fset, value.fdel)
        return [f for f in parts if isinstance(f, types.FunctionType)]
    return [value] if isinstance(value, types.FunctionType) else []


def _rebind(module, old, others):
    """Point names that other project modules imported from the module at the new objects."""
    new = module.__dict__
    by_identity = {}
    for name, value in old.items():
        if name in _PRESERVED or name not in new:
            continue
        owner = getattr(value, "__module__", None)
        kind_owner = getattr(type(value), "__module__", None)
        if owner == module.__name__ or kind_owner == module.__name__:
            by_identity[id(value)] = name
    for other in others:
        space = other.__dict__
        for key, value in list(space.items()):
            name = by_identity.get(id(value))
            if name is None and key in old and old[key] is value and key in new:
                name = key
            if name is not None:
                space[key] = new[name]


def main():
    """Read the config, then serve in hot or fresh mode."""
    config = json.loads(sys.stdin.readline())
    # pytest's capture redirects fds 0-2 during a session: keep private copies.
    proto_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    proto_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    if not os.environ.get("HEALLOOP_REPAIR_DEBUG"):
        os.dup2(devnull, 2)
    os.chdir(config["root"])
    sys.path.insert(0, config["root"])
    sys.dont_write_bytecode = True
    server = Server(config, proto_in, proto_out)
    if server.mode == "hot":
        pytest.main([*server.args, *selectors(server.tests)], plugins=[server])
        if server.session is None:
            server.answer({"ready": False, "collected": [], "errors": server.collect_errors})
    else:
        server.serve()


if __name__ == "__main__":
    main()
