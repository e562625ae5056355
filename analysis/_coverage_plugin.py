"""pytest plugin copied into a scratch copy: record which test ran which files.

Loaded with ``-p _healloop_coverage_plugin`` from the root of the copy; it measures
the copy only and switches the coverage context to each test's node id, then writes
``healloop-coverage.json`` beside the copy: the node ids, and per file and line the
indices of the tests that ran it (-1: run while importing, outside any test).

What runs while pytest imports a test module to collect it (a parameter built by
calling the code under test) is told apart: per line, the test files whose collection
ran it ("" for any other code run outside a test), and per test file, the modules of
the copy its collection imported first.

Measuring starts when pytest imports the plugin, which ``-p`` does before it loads any
``conftest.py``: a conftest that imports the package under test runs its import-time
code (constants, registries filled by a function the module calls) before the first
test, and a map that missed it would show those lines as run by no test at all.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import coverage
import pytest

_ROOT = Path(__file__).resolve().parent
_cov = coverage.Coverage(data_file=None, source=[str(_ROOT)], config_file=False)
_cov.start()
_ran: list[str] = []
_COLLECTING = "collect:"
_first_imports: dict[str, list[str]] = {}


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
    _cov.switch_context(_COLLECTING + test_file)
    yield
    _cov.switch_context("")
    first = (_in_copy(sys.modules.get(name)) for name in set(sys.modules) - before)
    _first_imports.setdefault(test_file, []).extend(sorted(f for f in first if f))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):  # noqa: ANN201
    """Attribute every line the test runs (setup, call, teardown) to its node id."""
    _ran.append(item.nodeid)
    _cov.switch_context(item.nodeid)
    yield
    _cov.switch_context("")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Write the tests in the order they ran, and who ran each line (-1: at import)."""
    _cov.stop()
    data = _cov.get_data()
    tests = {nodeid: index for index, nodeid in enumerate(dict.fromkeys(_ran))}
    files, outside = {}, {}
    for path in data.measured_files():
        lines, collected = {}, {}
        for line, contexts in data.contexts_by_lineno(path).items():
            outside_tests = {c.removeprefix(_COLLECTING) for c in contexts
                             if not c or c.startswith(_COLLECTING)}
            ids = {tests.setdefault(c, len(tests)) for c in contexts
                   if c and not c.startswith(_COLLECTING)}
            lines[line] = sorted(ids | ({-1} if outside_tests else set()))
            if outside_tests - {""}:
                collected[line] = sorted(outside_tests)
        files[path] = lines
        if collected:
            outside[path] = collected
    out = {"tests": sorted(tests, key=tests.__getitem__), "files": files,
           "outside": outside, "first_imports": _first_imports}
    (_ROOT.parent / "healloop-coverage.json").write_text(json.dumps(out), encoding="utf-8")
