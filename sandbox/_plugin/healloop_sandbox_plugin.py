"""A pytest plugin loaded into sandboxed runs: per-test timeout, JSON-lines results.

It is loaded with ``-p healloop_sandbox_plugin`` from a folder put on PYTHONPATH, so
it must not import healloop. Records go to an inherited file descriptor
(HEALLOOP_RESULTS_FD) so that tests, which may write only inside the copy, cannot
delete or replace the file. Besides outcomes it writes ``start``/``finish`` records
per test: the runner watches them to kill a test that ignores its timeout, and to
resume the run without it.
"""

from __future__ import annotations

import ast
import builtins
import json
import os
import re
import signal
import sys
import types

import pytest

_FD = int(os.environ.get("HEALLOOP_RESULTS_FD", "-1") or -1)
_TIMEOUT = float(os.environ.get("HEALLOOP_TEST_TIMEOUT", "0") or 0)
_DESELECT = os.environ.get("HEALLOOP_DESELECT", "")
_SELECT = os.environ.get("HEALLOOP_SELECT", "")
_current = ""
_roots: list[str] = []
_deselecting = False  # while this plugin deselects, the tests are not the suite's
_deselected = 0

if _FD >= 0:
    os.set_inheritable(_FD, False)  # subprocesses of tests do not get it


class TestTimeout(BaseException):
    """Raised inside a test that ran past its time."""

    __test__ = False


def _emit(record):
    if _FD >= 0:
        os.write(_FD, (json.dumps(record) + "\n").encode())


def _alarm(signum, frame):  # noqa: ARG001
    _emit({"alarm": _current})
    raise TestTimeout(f"test exceeded {_TIMEOUT:g}s")


def pytest_configure(config):
    """Learn the scratch copy's path, to take it out of test ids."""
    root = str(config.rootpath)
    _roots[:] = sorted({root + os.sep, os.path.realpath(root) + os.sep}, key=len, reverse=True)


def stable(nodeid):
    """Return nodeid without the scratch copy's path, which each run's copy has its own.

    A parameter built from a path (``[__file__]``) puts it in the id, and an id that
    changes from run to run would read as a test that vanished and one that appeared.
    """
    if "[" in nodeid:
        for root in _roots:
            nodeid = nodeid.replace(root, "")
    return nodeid


def _lines(path):
    if not path:
        return set()
    with open(path, encoding="utf-8") as fh:
        return set(fh.read().splitlines())


def pytest_collection_modifyitems(session, config, items):  # noqa: ARG001
    """Keep the parametrized cases asked for; leave out what an earlier attempt ran.

    pytest was given the function of each case asked for (HEALLOOP_SELECT), since a
    case's id may name another copy's path; done (HEALLOOP_DESELECT) holds the tests
    an earlier attempt of this run finished.
    """
    global _deselecting
    done, wanted = _lines(_DESELECT), _lines(_SELECT)
    narrowed = {w.split("[", 1)[0] for w in wanted}
    # A case whose id is built from the clock (`[07:53:16 2026-11-26]`) has another id
    # in this collection: each case asked for that is not here keeps one new case of
    # its function, so that it runs and is paired with it, not lost.
    present = {stable(item.nodeid) for item in items}
    spare = {}
    for w in wanted:
        if "[" in w and w not in present:
            function = w.split("[", 1)[0]
            spare[function] = spare.get(function, 0) + 1
    gone = []
    for item in items:
        nodeid = stable(item.nodeid)
        function = nodeid.split("[", 1)[0]
        if nodeid in done:
            gone.append(item)
        elif function in narrowed and nodeid not in wanted:
            if spare.get(function, 0) > 0:
                spare[function] -= 1
            else:
                gone.append(item)
    if gone:
        _deselecting = True
        try:
            config.hook.pytest_deselected(items=gone)
        finally:
            _deselecting = False
        dropped = {id(item) for item in gone}
        items[:] = [item for item in items if id(item) not in dropped]


def pytest_sessionfinish(session, exitstatus):  # noqa: ARG001
    """Say the session ended: a pytest that dies between two tests never says it."""
    _emit({"ended": True})


def pytest_deselected(items):
    """Count the tests the suite's own options deselect (``-m``, ``-k`` in addopts)."""
    global _deselected
    if not _deselecting and items:
        _deselected += len(items)  # -k and -m deselect apart: the total so far
        _emit({"deselected": _deselected})


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):  # noqa: ARG001
    """Mark the start and end of each test and arm its timeout."""
    global _current
    _current = stable(item.nodeid)
    _emit({"start": _current})
    armed = _TIMEOUT > 0 and hasattr(signal, "setitimer")
    if armed:
        signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, _TIMEOUT)
    try:
        yield
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
        _emit({"finish": stable(item.nodeid)})


_TEST_FOLDERS = {"test", "tests", "testing"}
_NOT_INSTALLED = {"PackageNotFoundError", "DistributionNotFound"}
"""A distribution's metadata is missing: the project is not installed where it runs."""
_INSTALLED = {"site-packages", "dist-packages"}


def _in_repository(path, root):
    """Return path relative to root, '/'-separated, if the repository holds it, else ''.

    A file under root but inside an installed package (a virtual environment kept in
    the repository) is not the repository's.
    """
    rel = os.path.relpath(os.path.join(root, str(path)), root)
    if rel.startswith(os.pardir) or _INSTALLED & set(rel.split(os.sep)):
        return ""
    return rel.replace(os.sep, "/")


def _project_code(path, root):
    """Whether a frame's file is the project's own code: under root, not a test, not installed."""
    rel = _in_repository(path, root)
    if not rel:
        return False
    parts = rel.split("/")
    name = parts[-1]
    return not (_TEST_FOLDERS & set(parts[:-1]) or name == "conftest.py"
                or name.startswith("test_") or name.endswith("_test.py"))


def _outside(item, excinfo):
    """Say why a test failed outside the project, or return ''.

    An OSError (a program, file, host or service that is not there) or an ImportError
    (a package or its metadata that is not installed) raised in code the project does
    not hold, with no frame of the project's own code on the way: whatever the
    project's sources say, the test fails the same, as the glom CLI's test fails where
    glom is not installed as a command. A distribution's metadata that is not there
    is outside whoever asks for it (toolz's ``__version__``, read in its ``__init__``
    where toolz is not installed).
    """
    if excinfo is None or not excinfo.errisinstance((OSError, ImportError)):
        return ""
    said = f"{excinfo.typename}: {str(excinfo.value)[:200]}"
    if excinfo.typename in _NOT_INSTALLED:  # whoever asked: no edit installs it
        return said
    root = str(item.config.rootpath)
    frames = [str(entry.path) for entry in excinfo.traceback]
    if not frames or _in_repository(frames[-1], root):
        return ""
    return "" if any(_project_code(path, root) for path in frames) else said


def _lacks(item, excinfo):
    """Say what the environment lacks that the project's code asked for, with the files.

    An AttributeError of a module that is not the project's (``module 'inspect' has no
    attribute 'getargspec'``, gone since Python 3.11), or an ImportError of a name or a
    module that is not the project's (``cannot import name 'Mapping' from
    'collections'``), raised with the project's code on the way: code written for
    another Python or another version of a package. Returns ('', []) for any other
    failure, else the error in a line and the files under the project's root that the
    traceback went through, outermost first: a caller who knows which files are being
    changed can tell whether the failure is theirs.
    """
    if excinfo is None:
        return "", []
    error, root = excinfo.value, str(item.config.rootpath)
    if isinstance(error, AttributeError):
        owner = getattr(error, "obj", None)
        if not isinstance(owner, types.ModuleType) or _ours(owner, root):
            return "", []
    elif isinstance(error, ImportError):
        if not error.name or _project_module(error.name, root):
            return "", []
    else:
        return "", []
    through = [rel for entry in excinfo.traceback if (rel := _in_repository(entry.path, root))]
    return f"{excinfo.typename}: {str(error)[:200]}", list(dict.fromkeys(through))


def _ours(module, root):
    """Whether a module is the project's: its file is under root, or its package is."""
    path = getattr(module, "__file__", None) or ""
    return bool(path and _in_repository(path, root)) or _project_module(module.__name__, root)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Mark a failure raised outside the project's code, or on what the environment lacks."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        report.healloop_outside = _outside(item, call.excinfo)
        report.healloop_lacks = _lacks(item, call.excinfo)


_MESSAGE = 2000
"""Characters of a failure's report kept: its end, where the exception is."""


def _message(report, text):
    """Return the end of a failure's report, headed by the test's own failing line.

    A deep traceback's end leaves out the line of the test that failed (`> assert
    get([], 'AB') == ()`), which says what the test expected; it is kept in front.
    """
    if len(text) <= _MESSAGE:
        return text
    tail = text[-_MESSAGE:]
    entries = getattr(getattr(report.longrepr, "reprtraceback", None), "reprentries", None)
    lines = getattr(entries[0], "lines", []) if entries else []
    own = "\n".join(line for line in lines if line.startswith(">"))
    return f"{own}\n...\n{tail}" if own and own not in tail else tail


def pytest_runtest_logreport(report):
    """Record the outcome of a test (its call, or the phase that failed or skipped)."""
    if report.when != "call" and not (report.failed or report.skipped):
        return
    outcome = report.outcome
    message = ""
    lacks, through = getattr(report, "healloop_lacks", ("", []))
    if report.failed:
        text = str(report.longrepr or "")
        outcome = "timeout" if "TestTimeout" in text else (
            "failed" if report.when == "call" else "error"
        )
        message = _message(report, text)
    elif report.skipped and isinstance(report.longrepr, tuple):
        message = str(report.longrepr[-1])
    _emit({
        "nodeid": stable(report.nodeid),
        "outcome": outcome,
        "duration": report.duration,
        "message": message,
        "outside": getattr(report, "healloop_outside", ""),
        "lacks": lacks,
        "through": through,
    })


class _LeftOut(pytest.File):
    """A test file that the suite leaves out: collected as nothing, never imported."""

    def collect(self):
        return []


if getattr(pytest, "version_tuple", (0,)) >= (7,):  # the hook's module_path argument

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makemodule(module_path, parent):
        """Leave out a file given by name that the suite ignores, as the suite's run does.

        pytest collects a file named on its command line whatever the conftests say:
        a ``collect_ignore`` of a module that needs a newer Python, or a conftest's own
        ``pytest_ignore_collect``, would not keep it from running, and failing.
        """
        session = parent.session
        if not session.isinitpath(module_path):
            return None  # pytest asked the conftests before it got here
        hooks = session.gethookproxy(module_path)
        if not hooks.pytest_ignore_collect(collection_path=module_path, config=session.config):
            return None
        rel = os.path.relpath(str(module_path), str(session.config.rootpath))
        _emit({"ignored": rel.replace(os.sep, "/")})
        return _LeftOut.from_parent(parent, path=module_path)


def pytest_collectreport(report):
    """Record a module that failed to collect, and whether that is outside the project."""
    if report.failed:
        text = str(report.longrepr)
        root = _roots[-1].rstrip(os.sep) if _roots else os.getcwd()
        lacks, through = _collect_lacks(text, root)
        outside = _own_code(text, root, report.nodeid) or _collect_outside(text, root)
        _emit({"collect_error": report.nodeid, "message": text[-_MESSAGE:],
               "outside": outside, "lacks": lacks, "through": through})


_FRAME = re.compile(r"^(\S[^\n]*?\.py):\d+: in \S", re.M)
_RAISED = re.compile(r"^E\s+([\w.]+): (.*)$", re.M)
_MISSING = re.compile(r"No module named '([\w.]+)'")


def _last_raised(text):
    """Return (class name, message) of the exception a report's text ends on, or None."""
    raised = _RAISED.findall(text)
    if not raised:
        return None
    typename, message = raised[-1]
    return typename.rsplit(".", 1)[-1], message


def _collect_outside(text, root):
    """Say why a test file failed to collect outside the project, or return ''.

    The rule of _outside, read off the report's text (pytest keeps no exception of a
    module that failed to import): an OSError, or a module that neither the project
    nor the environment has, with no frame of the project's own code on the way. A
    test module that imports an optional package the environment lacks (hypothesis)
    or reads a data folder a checkout lacks (a git submodule) fails to collect
    whatever the project's sources say.
    """
    raised = _last_raised(text)
    if raised is None:
        return ""
    name, message = raised
    said = f"{name}: {message[:200]}"
    if name in _NOT_INSTALLED:
        return said
    if name == "ModuleNotFoundError":
        missing = _MISSING.search(message)
        if missing is None or _project_module(missing.group(1), root):
            return ""
    else:
        kind = getattr(builtins, name, None)
        if not (isinstance(kind, type) and issubclass(kind, OSError)):
            return ""
    frames = _FRAME.findall(text)
    return "" if any(_project_code(os.path.join(root, f), root) for f in frames) else said


_AT = re.compile(r"^(\S[^\n]*?\.py):(\d+): in (\S+)", re.M)
_SYNTAX_AT = re.compile(r'^E\s+File "([^"]+\.py)", line \d+', re.M)
_REACHING = frozenset({"__import__", "eval", "exec", "compile", "globals", "locals", "vars",
                       "getattr", "open", "input", "breakpoint"})
"""Builtins that read other code or data: a statement calling them may read the project."""


def _own_code(text, root, path):
    """Say why a test file's own code fails whatever the project says, or return ''.

    A test file that does not compile on the Python running it (``print "x"``), or
    whose module-level statement raises reading builtins alone (``range(1000) * 1000``,
    Python 2's lists): no change to the project's code changes either.
    """
    raised = _last_raised(text)
    if raised is None or not path.endswith(".py"):
        return ""
    name, message = raised
    said = f"{name}: {message[:200]} (in {path}'s own code)"
    module = os.path.realpath(os.path.join(root, path))
    if name in ("SyntaxError", "IndentationError", "TabError"):
        where = _SYNTAX_AT.findall(text)
        return said if where and os.path.realpath(os.path.join(root, where[-1])) == module else ""
    frames = _AT.findall(text)
    if not frames or issubclass(getattr(builtins, name, Exception), ImportError):
        return ""
    file, line, function = frames[-1]
    if function != "<module>" or os.path.realpath(os.path.join(root, file)) != module:
        return ""
    try:
        with open(module, encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
    except (OSError, SyntaxError, ValueError):
        return ""
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
             and not isinstance(n.ctx, ast.Load)}
    bound |= {(a.asname or a.name).split(".")[0] for n in ast.walk(tree)
              if isinstance(n, ast.Import | ast.ImportFrom) for a in n.names}
    bound |= {n.name for n in ast.walk(tree)
              if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    statement = next((n for n in tree.body
                      if n.lineno <= int(line) <= (n.end_lineno or n.lineno)), None)
    if statement is None or isinstance(statement, ast.Import | ast.ImportFrom):
        return ""
    read = {n.id for n in ast.walk(statement) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)}
    own = all(hasattr(builtins, n) and n not in bound and n not in _REACHING for n in read)
    return said if own else ""


_LACKING = (re.compile(r"module '([\w.]+)' has no attribute '\w+'"),
            re.compile(r"cannot import name '\w+' from '([\w.]+)'"),
            re.compile(r"No module named '([\w.]+)'"))


def _collect_lacks(text, root):
    """Read the rule of _lacks off a collection error's text: (error, files) or ('', [])."""
    raised = _last_raised(text)
    if raised is None:
        return "", []
    name, message = raised
    kind = getattr(builtins, name, None)
    if not (isinstance(kind, type) and issubclass(kind, AttributeError | ImportError)):
        return "", []
    owner = next((m.group(1) for m in (p.search(message) for p in _LACKING) if m), "")
    if not owner or _project_module(owner, root):
        return "", []
    through = [rel for frame in _FRAME.findall(text) if (rel := _in_repository(frame, root))]
    return f"{name}: {message[:200]}", list(dict.fromkeys(through))


def _project_module(module, root):
    """Whether a module's top-level package is the project's: under root, on the path."""
    top = module.split(".")[0]
    folders = {root, *(p for p in sys.path if p and os.path.abspath(p).startswith(root))}
    return any(os.path.exists(os.path.join(folder, top)) or
               os.path.exists(os.path.join(folder, top + ".py")) for folder in folders)
