"""sitecustomize for the child Python processes of a coverage-map run.

``collect_coverage_map`` copies this file as ``sitecustomize.py`` into a folder that
the coverage plugin puts first on the ``PYTHONPATH`` the tests' children inherit. In a
child whose interpreter has coverage, it measures the copy under the context of the
test (or fixture) that was running when the child started, and saves the data when
the child exits, by any way but SIGKILL. Then it runs the ``sitecustomize`` it hides,
if the interpreter has one. It never writes to the child's output.
"""

import atexit
import importlib.machinery
import importlib.util
import os
import sys
import uuid
from collections.abc import Callable


def _measure() -> None:
    context = os.environ.get("HEALLOOP_COVERAGE_CONTEXT")
    if not context:
        return
    try:
        import coverage
    except ImportError:
        return
    cov = coverage.Coverage(
        data_file=os.path.join(os.environ["HEALLOOP_COVERAGE_CHILDREN"], "data",
                               f"{os.getpid()}-{uuid.uuid4().hex}"),
        source=[os.environ["HEALLOOP_COVERAGE_SOURCE"]], config_file=False, context=context)
    cov.start()

    saved, owner = [], os.getpid()

    def save() -> None:
        # A process it forks inherits this; only the process it measures saves it.
        if not saved and os.getpid() == owner:
            saved.append(True)
            cov.stop()
            cov.save()

    atexit.register(save)
    _save_before_the_end(save)


def _save_before_the_end(save: Callable[[], None]) -> None:
    """Save also when the child ends without running ``atexit``.

    ``os._exit`` skips it, and so does the SIGTERM a test sends a server child it
    started (``terminate()``) while nothing handles it: the child then saves and ends
    by the same signal.
    """
    import signal

    leave = os._exit

    def exit_saving(status: int) -> None:
        save()
        leave(status)

    os._exit = exit_saving
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        def terminated(signum: int, frame: object) -> None:
            save()
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

        signal.signal(signal.SIGTERM, terminated)


def _run_hidden() -> None:
    """Run the sitecustomize of the interpreter that this one hides, if there is one."""
    here = os.path.dirname(os.path.abspath(__file__))
    path = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
    if spec is not None and spec.loader is not None:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))


_measure()
_run_hidden()
