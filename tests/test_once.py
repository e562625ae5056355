"""Once-only code: a cache or a lazy initialisation runs for its first caller only."""

from __future__ import annotations

import ast

import pytest

from healloop.analysis.import_time import site
from healloop.analysis.once import Kept, called_as, kept, kept_by_callers


def kept_at(source: str, marker: str) -> Kept:
    line = next(n for n, text in enumerate(source.splitlines(), 1) if marker in text)
    return kept(ast.parse(source), {line})


@pytest.mark.parametrize(("source", "expected"), [
    ("@functools.lru_cache(maxsize=None)\ndef settings():\n    return load()  # here\n",
     Kept(functions={"settings"})),
    ("class C:\n    @cached_property\n    def pool(self):\n        return []  # here\n",
     Kept(functions={"pool"})),
    ("def parser(self):\n    if self._parser is None:\n        self._parser = build()  # here\n"
     "    return self._parser\n", Kept(stored={"_parser"})),
    ("def name(self, key):\n    if key not in self._names:\n"
     "        self._names[key] = key.upper()  # here\n    return self._names[key]\n",
     Kept(stored={"_names"})),
    ("def size(self):\n    if not hasattr(self, '_size'):\n        self._size = 4  # here\n"
     "    return self._size\n", Kept(stored={"_size"})),
    ("def client():\n    global _client\n    if _client is None:\n"
     "        _client = Client()  # here\n    return _client\n", Kept(stored={"_client"})),
    ("def parser(self):\n    if self._parser is not None:\n        return self._parser\n"
     "    else:\n        self._parser = build()  # here\n        return self._parser\n",
     Kept(stored={"_parser"})),
])
def test_code_that_keeps_its_result_for_later_callers(source: str, expected: Kept) -> None:
    assert kept_at(source, "# here") == expected


@pytest.mark.parametrize("source", [
    # A default for a parameter: every call runs it.
    "def get(url, timeout=None):\n    if timeout is None:\n        timeout = 5  # here\n"
    "    return timeout\n",
    # A branch storing what its condition does not read.
    "def reset(self, hard):\n    if hard:\n        self.count = 0  # here\n",
    # A counter, a normalisation: every call that meets the condition runs them.
    "def retry(self):\n    if self.calls < 2:\n        self.calls += 1  # here\n",
    "def prepare(self, method):\n    self.method = method\n    if self.method is not None:\n"
    "        self.method = self.method.upper()  # here\n",
    # A constructor's object is new at every call.
    "def __init__(self, request=None):\n    self.request = request\n"
    "    if not self.request:\n        self.request = make()  # here\n",
    # Not in the branch that stores.
    "def parser(self):\n    if self._parser is None:\n        self._parser = build()\n"
    "    return self._parser.parse()  # here\n",
])
def test_code_that_every_call_runs_keeps_nothing(source: str) -> None:
    assert not kept_at(source, "# here")


def test_a_function_once_only_code_calls_runs_for_the_first_caller_too() -> None:
    command = ("def help(self):\n    if self._help is None:\n"
               "        self._help = options.help_option()\n    return self._help\n")
    texts = {"pkg/command.py": command, "pkg/other.py": "def f():\n    return help_option\n"}
    assert kept_by_callers("help_option", texts) == Kept(stored={"_help"})
    assert not kept_by_callers("usage", texts)


def test_callers_run_a_constructor_by_its_class_name_and_operators_by_no_name() -> None:
    tree = ast.parse("class Parser:\n    def __init__(self):\n        self.rules = []\n\n"
                     "    def __eq__(self, other):\n        return True\n\n\n"
                     "def parse():\n    return Parser()\n")
    assert [called_as(site(tree.body, line)) for line in (3, 6, 10)] == [
        "Parser", None, "parse"]
