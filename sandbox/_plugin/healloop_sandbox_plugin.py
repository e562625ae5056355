"""A pytest plugin loaded into sandboxed runs: per-test timeout, JSON results.

It is loaded with ``-p healloop_sandbox_plugin`` from a folder put on PYTHONPATH,
so it must not import healloop.
"""

from __future__ import annotations

import json
import os
import signal

_OUT = os.environ.get("HEALLOOP_RESULTS")
_TIMEOUT = float(os.environ.get("HEALLOOP_TEST_TIMEOUT", "0") or 0)


class TestTimeout(BaseException):
    """Raised inside a test that ran past its time."""


def _alarm(signum, frame):  # noqa: ARG001
    raise TestTimeout(f"test exceeded {_TIMEOUT:g}s")


def pytest_runtest_setup(item):  # noqa: ARG001
    if _TIMEOUT > 0 and hasattr(signal, "setitimer"):
        signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, _TIMEOUT)


def pytest_runtest_teardown(item, nextitem):  # noqa: ARG001
    if _TIMEOUT > 0 and hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, 0)


def pytest_runtest_logreport(report):
    if not _OUT:
        return
    if report.when != "call" and not (report.failed or report.skipped):
        return
    outcome = report.outcome
    message = ""
    if report.failed:
        text = str(report.longrepr or "")
        outcome = "timeout" if "TestTimeout" in text else (
            "failed" if report.when == "call" else "error"
        )
        message = text[-2000:]
    record = {
        "nodeid": report.nodeid,
        "outcome": outcome,
        "duration": report.duration,
        "message": message,
    }
    with open(_OUT, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")


def pytest_collectreport(report):
    if _OUT and report.failed:
        with open(_OUT, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"collect_error": report.nodeid,
                                 "message": str(report.longrepr)[-2000:]}) + "\n")
