"""sitecustomize for the child Python processes of a coverage-map run.

``collect_coverage_map`` copies this file as ``sitecustomize.py`` into a folder that
the coverage plugin puts first on the ``PYTHONPATH`` the tests' children inherit. In a
child whose interpreter has coverage, it measures the copy under the context of the
test (or fixture) that was running when the child started, and saves the data when
the child exits. Then it runs the ``sitecustomize`` it hides, if the interpreter has
one. It never writes to the child's output.
"""

import atexit
import importlib.machinery
import importlib.util
import os
import sys
import uuid


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
                               uuid.uuid4().hex),
        source=[os.environ["HEALLOOP_COVERAGE_SOURCE"]], config_file=False, context=context)
    cov.start()

    def save() -> None:
        cov.stop()
        cov.save()

    atexit.register(save)


def _run_hidden() -> None:
    """Run the sitecustomize of the interpreter that this one hides, if there is one."""
    here = os.path.dirname(os.path.abspath(__file__))
    path = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
    if spec is not None and spec.loader is not None:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))


_measure()
_run_hidden()
