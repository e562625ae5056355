"""The API gate: a candidate must keep what dependents use working."""

from __future__ import annotations

import pytest

from healloop.analysis.api import api_breaks
from healloop.state import BlastRadius, Dependent

OLD = """\
import os

LIMIT = 3

def area(w, h=1):
    return w * h

def split(text, *, sep=","):
    return text.split(sep)[0], text

class Shape:
    def __init__(self, size):
        self.size = size

    def grow(self, by=1):
        return self.size + by

def gen():
    yield 1
"""

USED = {
    "LIMIT": ["pkg/a.py"], "area": ["pkg/a.py", "pkg/b.py"], "split": ["pkg/c.py"],
    "Shape": ["pkg/d.py"], "Shape.grow": ["pkg/d.py"], "gen": ["pkg/e.py"],
}


def edit(old: str, new: str) -> str:
    assert old in OLD
    return OLD.replace(old, new)


def test_unchanged_module_breaks_nothing() -> None:
    assert api_breaks(OLD, OLD, USED) == []


def test_compatible_changes_pass() -> None:
    new = edit("def area(w, h=1):", "def area(w, h=1, *, scale=1, **extra):")
    new = new.replace("    return w * h", "    product = w * h\n    return product * scale")
    assert api_breaks(OLD, new, USED) == []


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("def area(w, h=1):\n    return w * h\n", "", "area: removed (used by pkg/a.py, pkg/b.py)"),
    ("def area(w, h=1):", "def area(w):", "area: parameter 'h' removed"),
    ("def area(w, h=1):", "def area(width, h=1):", "area: parameter 'w' renamed or moved"),
    ("def area(w, h=1):", "def area(w, h):", "area: parameter 'h' lost its default"),
    ("def area(w, h=1):", "def area(w, h=1, d=None, *, unit):",
     "area: new required parameter 'unit'"),
    ("def area(w, h=1):", "def area(w, *, h=1):", "area: parameter 'h' became keyword-only"),
    ("def split(text, *, sep=\",\"):", "def split(text):", "split: keyword 'sep' removed"),
    ("return text.split(sep)[0], text", "return text.split(sep)[0]", None),
    ("return text.split(sep)[0], text", "return text, text, sep",
     "split: returns 3 values instead of 2"),
    ("def __init__(self, size):", "def __init__(self, size, colour):",
     "Shape: constructor: new required parameter 'colour'"),
    ("    def grow(self, by=1):\n        return self.size + by\n", "",
     "Shape.grow: removed (used by pkg/d.py)"),
    ("def grow(self, by=1):", "def grow(self, amount=1):",
     "Shape.grow: parameter 'by' renamed or moved"),
    ("LIMIT = 3", "", "LIMIT: removed"),
    ("def area(w, h=1):", "async def area(w, h=1):",
     "area: changed between async and plain function"),
    ("    yield 1", "    return [1]", "gen: changed from a generator to a function"),
])
def test_incompatible_change_is_named_with_its_dependents(
    old: str, new: str, expected: str | None
) -> None:
    breaks = api_breaks(OLD, edit(old, new), USED)
    if expected is None:  # a tuple became a value: not detectable from source
        assert breaks == []
    else:
        assert any(line.startswith(expected) for line in breaks), breaks


def test_symbol_moved_behind_an_import_is_not_a_break() -> None:
    new = edit("def area(w, h=1):\n    return w * h\n", "from pkg.geometry import area\n")
    assert api_breaks(OLD, new, USED) == []


def test_unused_symbols_may_change_freely() -> None:
    assert api_breaks(OLD, edit("def split(text, *, sep=\",\"):", "def split():"),
                      {"area": ["pkg/a.py"]}) == []


def test_blast_radius_names_the_dependent_file() -> None:
    radius = BlastRadius(target="pkg/core.py", dependents=[
        Dependent(module="pkg.a", file="pkg/a.py", symbols=["area"]),
    ])
    assert api_breaks(OLD, edit("def area(w, h=1):", "def area(w):"), radius) == [
        "area: parameter 'h' removed (used by pkg/a.py)",
    ]


def test_candidate_that_does_not_parse_breaks_every_dependent() -> None:
    breaks = api_breaks(OLD, "def (:", USED)
    assert len(breaks) == 1 and "pkg/e.py" in breaks[0]


MODEL = """\
import collections.abc
import enum
from abc import ABC

from pkg.base import External

__all__ = ["Color", "Point", "split", "clamp"]


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Base:
    def describe(self):
        return "base"


class Point(Base):
    def describe(self):
        return "point"

    @property
    def norm(self):
        return 1

    @classmethod
    def origin(cls):
        return cls()


class Store(collections.abc.MutableMapping):
    maxsize = 10


class Plugin(External):
    def run(self):
        return 1


class Shape(ABC):
    def area(self):
        return 0


def split(s):
    if not s:
        return None
    return s[:1], s[1:]


def clamp(x, lo=0, hi=1):
    return min(max(x, lo), hi)
"""

MODEL_USED = {name: ["pkg/report.py"] for name in (
    "Color", "Color.GREEN", "Point", "Point.describe", "Point.norm", "Point.origin",
    "Plugin.run", "Shape.area", "Store.maxsize", "split", "clamp")}


def model_breaks(old: str, new: str) -> list[str]:
    assert old in MODEL
    return api_breaks(MODEL, MODEL.replace(old, new), MODEL_USED)


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("    GREEN = 2\n", "", "Color.GREEN: removed"),
    ("    maxsize = 10\n", "    pass\n", "Store.maxsize: removed"),
    ("class Shape(ABC):\n    def area(self):\n        return 0\n",
     "class Shape(ABC):\n    pass\n", "Shape.area: removed"),
    ("    @property\n    def norm", "    def norm",
     "Point.norm: changed from a property to a method"),
    ("    @classmethod\n    def origin(cls):", "    def origin(self):",
     "Point.origin: changed from a class or static method to a method"),
    ("    return s[:1], s[1:]", "    return s[:1], s[1:], len(s)",
     "split: returns 3 values instead of 2"),
    ("def split(s):", "def split(s, /):", "split: parameter 's' became positional-only"),
    ("def clamp(x, lo=0, hi=1):", "def clamp(x, *args, lo=0, hi=1):",
     "clamp: parameter 'lo' became keyword-only"),
    ('"split", "clamp"]', '"clamp"]', "split: no longer in __all__"),
    ("def clamp(x, lo=0, hi=1):", "clamp = None\n\n\ndef _clamp(x, lo=0, hi=1):",
     "clamp: is no longer a function or class"),
])
def test_breaks_hidden_behind_bases_branches_and_markers_are_named(
    old: str, new: str, expected: str
) -> None:
    breaks = model_breaks(old, new)
    assert any(line.startswith(expected) for line in breaks), breaks


@pytest.mark.parametrize(("old", "new"), [
    # A method a base of the module still provides, or an unknown base may.
    ("    def describe(self):\n        return \"point\"\n\n", ""),
    ("    def run(self):\n        return 1\n", "    pass\n"),
    # A setter beside a used property: callers still read the getter.
    ("        return 1\n\n    @classmethod",
     "        return 1\n\n    @norm.setter\n    def norm(self, value):\n        pass\n\n"
     "    @classmethod"),
    # The name is still bound to the same function, through an alias.
    ("def clamp(x, lo=0, hi=1):\n    return min(max(x, lo), hi)\n",
     "def _clamp(x, lo=0, hi=1):\n    return min(max(x, lo), hi)\n\n\nclamp = _clamp\n"),
])
def test_compatible_changes_to_classes_and_bindings_pass(old: str, new: str) -> None:
    assert model_breaks(old, new) == []


def test_an_alias_to_an_incompatible_function_is_compared_as_that_function() -> None:
    breaks = model_breaks("def clamp(x, lo=0, hi=1):\n    return min(max(x, lo), hi)\n",
                          "def _clamp(x):\n    return x\n\n\nclamp = _clamp\n")
    assert breaks and breaks[0].startswith("clamp: parameter 'lo' removed"), breaks


def test_a_renamed_parameter_is_said_once() -> None:
    assert model_breaks("def clamp(x, lo=0, hi=1):", "def clamp(value, lo=0, hi=1):") == [
        "clamp: parameter 'x' renamed or moved (used by pkg/report.py)"]


def test_members_read_on_objects_are_uses_the_gate_keeps(tmp_path) -> None:
    from conftest import write_files

    from healloop.analysis.blast import analyse

    core = ("class Context:\n    def find_object(self, kind):\n        return kind\n\n"
            "    def get(self):\n        return 1\n\n    @property\n    def norm(self):\n"
            "        return 1\n\n\ndef current():\n    return Context()\n")
    repo = write_files(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/core.py": core,
        # Uses the class: its members read on objects are its, even short ones.
        "pkg/user.py": "from pkg.core import Context\n\n\ndef f(ctx: Context, d):\n"
                       "    return ctx.norm, d.get(), ctx.find_object(int)\n",
        # Does not name the class: only a distinctive member counts.
        "pkg/other.py": "from pkg.core import current\n\n"
                        "current().find_object(str)\ncurrent().norm\n",
    })
    radius = analyse(repo, "pkg/core.py", history=False)
    found = {d.file: d.symbols for d in radius.dependents}
    assert found["pkg/user.py"] == ["Context", "Context.find_object", "Context.norm"]
    assert found["pkg/other.py"] == ["Context.find_object", "current"]
    assert api_breaks(core, core.replace("find_object", "lookup"), radius) == [
        "Context.find_object: removed (used by pkg/other.py, pkg/user.py)"]
    assert api_breaks(core, core.replace("    @property\n", ""), radius) == [
        "Context.norm: changed from a property to a method (used by pkg/user.py)"]


def test_reads_that_are_not_the_classes_members_are_not_uses(tmp_path) -> None:
    from conftest import write_files

    from healloop.analysis.blast import analyse

    core = ("class Environment:\n    def compile(self, source):\n        return source\n\n"
            "    def invoke(self):\n        return 1\n\n    mode = 'r'\n\n\n"
            "class Group:\n    def invoke(self):\n        return 2\n\n"
            "    def list_commands(self):\n        return []\n\n"
            "    def get_command(self):\n        return None\n")
    repo = write_files(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/core.py": core,
        "pkg/environment.py": "X = 1\n",
        "pkg/user.py": (
            "import re\n\nfrom pkg import core\nfrom pkg.core import Environment, Group\n"
            "from . import environment\nfrom .environment import X\n\n\n"
            "class Mine:\n    def __init__(self, mode):\n        self.mode = mode\n\n\n"
            "def f(runner, env: Environment, groups: list[Group]):\n"
            "    re.compile('x')\n    runner.invoke()\n    core.Environment\n"
            "    groups[0].list_commands()\n    return env.invoke(), environment.X\n"),
    })
    radius = analyse(repo, "pkg/core.py", history=False)
    user = next(d for d in radius.dependents if d.file == "pkg/user.py")
    # env is an Environment; list_commands is Group's alone and distinctive.
    assert user.symbols == ["Environment", "Environment.invoke", "Group",
                            "Group.list_commands"]
