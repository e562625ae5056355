"""Test-driven repair without a model: heal failing tests with small, checked edits.

The pieces, in the order a repair uses them:

- ``program``: the target parsed, with text spans, statements and what is in scope;
- ``localise``: per-test line coverage turned into a ranking of statements (Ochiai);
- ``operators`` and ``statements``: candidate edits, each with a prior weight.
  ``operators`` asks the expression-level kinds in turn: ``values``, ``identifiers``,
  ``calls`` and ``conditions``, all built with ``expressions.Edits``; ``hints`` and
  ``hinted`` add the edits a failing test's message asks for;
- ``runner`` and ``worker``: a fork server that runs tests against a candidate in
  tens of milliseconds, with a per-test timeout;
- ``search``: the candidates in order of promise, checked by the tests;
- ``heal``: all of the above in scratch copies, with validation in the real sandbox.

``healloop.engines.test_repair.TestRepairEngine`` puts it behind the generate
interface; ``bench/repair/run.py`` measures it on a corpus of buggy programs.
"""

from healloop.repair.heal import Repair, heal

__all__ = ["Repair", "heal"]
