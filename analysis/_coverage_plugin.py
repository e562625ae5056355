"""pytest plugin copied into a scratch copy: record which test ran which files.

Loaded with ``-p _healloop_coverage_plugin`` from the root of the copy; it measures
the copy only and switches the coverage context to each test's node id, then writes
``healloop-coverage.json`` beside the copy: the node ids, and per file and line the
indices of the tests that ran it (-1: run while importing, outside any test).

Measuring starts when pytest imports the plugin, which ``-p`` does before it loads any
``conftest.py``: a conftest that imports the package under test runs its import-time
code (constants, registries filled by a function the module calls) before the first
test, and a map that missed it would show those lines as run by no test at all.
"""

from __future__ import annotations

import json
from pathlib import Path

import coverage
import pytest

_ROOT = Path(__file__).resolve().parent
_cov = coverage.Coverage(data_file=None, source=[str(_ROOT)], config_file=False)
_cov.start()
_ran: list[str] = []


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
    files = {}
    for path in data.measured_files():
        lines = {}
        for line, contexts in data.contexts_by_lineno(path).items():
            ids = sorted({-1 if not c else tests.setdefault(c, len(tests)) for c in contexts})
            lines[line] = ids
        files[path] = lines
    out = {"tests": sorted(tests, key=tests.__getitem__), "files": files}
    (_ROOT.parent / "healloop-coverage.json").write_text(json.dumps(out), encoding="utf-8")
