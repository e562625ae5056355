"""pytest plugin copied into a scratch copy: record which test ran which files.

Loaded with ``-p _healloop_coverage_plugin`` from the root of the copy; it measures
the copy only and switches the coverage context to each test's node id, then writes
``healloop-coverage.json`` (file -> node ids) beside the copy.
"""

from __future__ import annotations

import json
from pathlib import Path

import coverage
import pytest

_ROOT = Path(__file__).resolve().parent
_cov = coverage.Coverage(data_file=None, source=[str(_ROOT)], config_file=False)


def pytest_configure(config: pytest.Config) -> None:
    """Start measuring before the first test module is imported."""
    _cov.start()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):  # noqa: ANN201
    """Attribute every line the test runs (setup, call, teardown) to its node id."""
    _cov.switch_context(item.nodeid)
    yield
    _cov.switch_context("")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Write file -> node ids of the tests that ran a line of it."""
    _cov.stop()
    data = _cov.get_data()
    out = {}
    for path in data.measured_files():
        tests: set[str] = set()
        for contexts in data.contexts_by_lineno(path).values():
            tests.update(c for c in contexts if c)
        if tests:
            out[path] = sorted(tests)
    (_ROOT.parent / "healloop-coverage.json").write_text(json.dumps(out), encoding="utf-8")
