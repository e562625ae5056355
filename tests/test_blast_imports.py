"""Import resolution: who imports a module and which of its symbols they use."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_files as write

from healloop.analysis.blast import analyse
from healloop.errors import InputError

CORE = """\
LIMIT = 10
cache = {}

def area(w, h):
    return w * h

class Shape:
    def grow(self):
        return 1

def _private():
    return 0
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write(tmp_path, {
        "pkg/__init__.py": "from .core import area, Shape\n__all__ = ['area', 'Shape']\n",
        "pkg/core.py": CORE,
        "pkg/alias.py": "import pkg.core as c\n\ndef f():\n    return c.area(1, 2) + c.LIMIT\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/rel.py": "from ..core import Shape as S\n\nS().grow()\nS.grow\n",
        "pkg/reexport_user.py": "from pkg import area\n\narea(3, 4)\n",
        "pkg/star.py": "from pkg.core import *\n\nx = area(1, 1) + LIMIT\n",
        "pkg/cond.py": (
            "try:\n    from pkg.core import area\nexcept ImportError:\n    area = None\n"
            "\ndef late():\n    from pkg import core\n    return core.cache\n"
        ),
        "pkg/plain.py": "import pkg.core\n\npkg.core.area(1, 1)\n",
        "pkg/chain.py": "from pkg.alias import f\n\nf()\n",
        "pkg/unrelated.py": "import os\n\nos.getcwd()\n",
        "tests/test_core.py": (
            "from pkg.core import area\n\n\ndef test_area():\n    assert area(2, 3) == 6\n\n\n"
            "def test_nothing():\n    assert True\n"
        ),
        "tests/test_chain.py": (
            "from pkg.chain import f\n\n\nclass TestChain:\n    def test_f(self):\n"
            "        assert f is not None\n"
        ),
    })


def symbols(repo: Path, dependent: str) -> list[str]:
    radius = analyse(repo, "pkg/core.py", history=False)
    found = {d.file: d for d in radius.dependents}
    assert dependent in found, sorted(found)
    return found[dependent].symbols


def test_module_alias_attributes_resolve_to_symbols(repo: Path) -> None:
    assert symbols(repo, "pkg/alias.py") == ["LIMIT", "area"]


def test_relative_import_with_alias_resolves_class_and_member(repo: Path) -> None:
    assert symbols(repo, "pkg/sub/rel.py") == ["Shape", "Shape.grow"]


def test_reexport_through_package_init_counts_as_direct_use(repo: Path) -> None:
    radius = analyse(repo, "pkg/core.py", history=False)
    user = next(d for d in radius.dependents if d.file == "pkg/reexport_user.py")
    assert user.depth == 1
    assert user.symbols == ["area"]
    assert [(u.symbol, u.line, u.kind) for u in user.uses] == [
        ("area", 1, "function"), ("area", 3, "function"),
    ]


def test_star_import_uses_names_defined_in_target(repo: Path) -> None:
    assert symbols(repo, "pkg/star.py") == ["LIMIT", "area"]


def test_conditional_and_function_level_imports_are_followed(repo: Path) -> None:
    assert symbols(repo, "pkg/cond.py") == ["area", "cache"]


def test_dotted_import_without_alias(repo: Path) -> None:
    assert symbols(repo, "pkg/plain.py") == ["area"]


def test_transitive_dependents_have_their_depth(repo: Path) -> None:
    radius = analyse(repo, "pkg/core.py", history=False)
    depths = {d.file: d.depth for d in radius.dependents}
    assert depths["pkg/alias.py"] == 1
    assert depths["pkg/chain.py"] == 2
    assert depths["tests/test_chain.py"] == 3
    assert "pkg/unrelated.py" not in depths


def test_tests_reaching_the_target_are_selected_with_their_functions(repo: Path) -> None:
    radius = analyse(repo, "pkg/core.py", history=False)
    assert radius.tests == ["tests/test_chain.py", "tests/test_core.py"]
    # Functions are named in the tests that use the target directly.
    assert radius.test_functions == ["tests/test_core.py::test_area"]


def test_conftest_on_the_chain_selects_the_tests_under_it(repo: Path) -> None:
    write(repo, {"tests/conftest.py": "import pytest\nfrom pkg.core import Shape\n",
                 "tests/test_other.py": "def test_x():\n    assert True\n"})
    radius = analyse(repo, "pkg/core.py", history=False)
    assert "tests/test_other.py" in radius.tests


def test_dependent_with_a_syntax_error_is_still_analysed(repo: Path) -> None:
    write(repo, {"pkg/broken.py": "from pkg.core import area\n\narea(1, 2)\ndef (:\n"})
    assert symbols(repo, "pkg/broken.py") == ["area"]


NOISY = '''\
from pkg.core import area, LIMIT
"""area(1, 2) in a docstring"""
# area(3, 4) in a comment
text = 'area(5, 6)'
def f(area=1, LIMIT=2):
    return dict(area=3)
value = area(7, 8)
'''


def test_strings_comments_and_definitions_are_not_uses(repo: Path) -> None:
    write(repo, {"pkg/noisy.py": NOISY})
    radius = analyse(repo, "pkg/core.py", history=False)
    noisy = next(d for d in radius.dependents if d.file == "pkg/noisy.py")
    assert [(u.symbol, u.line) for u in noisy.uses] == [("LIMIT", 1), ("area", 1),
                                                         ("area", 7)]


SHAPES = '''\
import unittest

from pkg.core import Shape


class TestShape:
    def helper(self):
        return Shape()

    def test_grow(self):
        assert Shape().grow() == 1

    def test_other(self):
        assert True


class ShapeTestMixin:  # collected only as the methods of the classes using it
    def test_mixed(self):
        assert Shape()


class TestMixed(ShapeTestMixin):
    pass


class Checks(unittest.TestCase):
    def test_shape(self):
        self.assertTrue(Shape())


def test_plain():
    def test_nested():
        return Shape
    assert test_nested
'''


def test_test_methods_of_test_classes_are_named(repo: Path) -> None:
    write(repo, {"tests/test_shapes.py": SHAPES})
    radius = analyse(repo, "pkg/core.py", history=False)
    shapes = [t for t in radius.test_functions if t.startswith("tests/test_shapes.py")]
    assert shapes == ["tests/test_shapes.py::TestShape::test_grow",
                      "tests/test_shapes.py::TestMixed::test_mixed",
                      "tests/test_shapes.py::Checks::test_shape",
                      "tests/test_shapes.py::test_plain"]


def test_target_that_does_not_parse_still_has_its_importers(repo: Path) -> None:
    write(repo, {"pkg/core.py": CORE + "\ndef broken(:\n"})
    radius = analyse(repo, "pkg/core.py", history=False)
    assert "pkg/alias.py" in {d.file for d in radius.dependents}
    assert any(n.startswith("pkg/core.py does not parse") for n in radius.notes)


def test_target_outside_repository_is_an_input_error(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError):
        analyse(repo / "pkg", "../tests/test_core.py", history=False)


def test_cache_notices_edited_files(repo: Path) -> None:
    assert symbols(repo, "pkg/plain.py") == ["area"]
    write(repo, {"pkg/plain.py": "import pkg.core\n\npkg.core.Shape()\n# longer now\n"})
    assert symbols(repo, "pkg/plain.py") == ["Shape"]


def test_concurrent_analyses_share_the_cache_safely(repo: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    targets = ["pkg/core.py", "pkg/alias.py", "pkg/chain.py", "pkg/core.py"]
    with ThreadPoolExecutor(4) as pool:
        radii = list(pool.map(lambda t: analyse(repo, t, history=False), targets))
    assert radii[0] == radii[3]
    assert analyse(repo, "pkg/core.py", history=False) == radii[0]


def test_a_second_query_is_served_from_the_stored_result_until_a_source_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from healloop.analysis import blast

    repo = write(tmp_path, {"pkg/__init__.py": "", "pkg/core.py": "def area(w):\n    return w\n",
                            "pkg/view.py": "from pkg.core import area\n"})
    first = analyse(repo, "pkg/core.py", history=False)
    stored = blast._result_file(repo.resolve(), "pkg/core.py")

    def no_graph(*args: object, **kwargs: object) -> None:
        raise AssertionError("the graph was built again")

    monkeypatch.setattr(blast, "build_graph", no_graph)
    assert analyse(repo, "pkg/core.py", history=False) == first
    monkeypatch.undo()
    (repo / "pkg/view.py").write_text("from pkg.core import area as size\n")
    assert analyse(repo, "pkg/core.py", history=False).dependents[0].symbols == ["area"]
    stored.write_text(stored.read_text()[:-40])  # cut short, as by a full disk
    assert analyse(repo, "pkg/core.py", history=False).dependents[0].file == "pkg/view.py"


def test_a_name_read_through_a_package_that_star_imports_it_is_a_direct_use(
    tmp_path: Path,
) -> None:
    repo = write(tmp_path, {
        "pkg/__init__.py": "from .more import *\n",
        "pkg/more.py": "__all__ = ['chunked']\n\n\ndef chunked(it, n, strict=False):\n"
                       "    return [it]\n",
        "pkg/user.py": "import pkg\n\npkg.chunked([1], 1, strict=True)\n",
        "tests/test_more.py": "import pkg as p\n\n\ndef test_chunked():\n"
                              "    assert p.chunked([1], 1)\n",
    })
    radius = analyse(repo, "pkg/more.py", history=False)
    found = {d.file: (d.depth, d.symbols) for d in radius.dependents}
    assert found["pkg/user.py"] == (1, ["chunked"])
    assert found["tests/test_more.py"] == (1, ["chunked"])


def test_modules_imported_by_name_reach_their_tests(tmp_path: Path) -> None:
    repo = write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/greet.py": "def greet(name):\n    return f'Hello {name}'\n",
        "pkg/testing.py": "import pytest\n\nfrom pkg.greet import greet\n\n\n"
                          "@pytest.fixture\ndef greeting():\n    return greet('x')\n",
        "pkg/plugins/__init__.py": (
            "import importlib\n\n\ndef load(name):\n"
            "    return importlib.import_module(f'pkg.plugins.{name}')\n"),
        "pkg/plugins/upper.py": "def render(s):\n    return s.upper()\n",
        "pkg/registry.py": "from importlib import import_module\n\n"
                           "GREET = import_module('pkg.greet')\n",
        "tests/conftest.py": 'pytest_plugins = ["pkg.testing"]\n',
        "tests/test_fixture.py": "def test_greeting(greeting):\n    assert greeting\n",
        "tests/test_plugins.py": (
            "from pkg.plugins import load\n\n\ndef test_upper():\n"
            "    assert load('upper').render('a') == 'A'\n"),
    })
    greet = analyse(repo, "pkg/greet.py", history=False)
    assert {"pkg/testing.py", "pkg/registry.py", "tests/conftest.py"} <= {
        d.file for d in greet.dependents}
    assert "tests/test_fixture.py" in greet.tests
    upper = analyse(repo, "pkg/plugins/upper.py", history=False)
    assert upper.tests == ["tests/test_plugins.py"]


def test_first_line_and_commented_brackets_do_not_hide_imports(tmp_path: Path) -> None:
    repo = write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/core.py": "def area(w, h):\n    return w * h\n\n\ndef volume():\n    return 1\n",
        "pkg/first.py": (
            "try:\n    from pkg.core import area\nexcept ImportError:\n    area = None\n"),
        "pkg/comment.py": (
            "from pkg.core import (  # see area(w, h)\n    area,\n    volume,\n)\n\n"
            "volume()\n"),
    })
    radius = analyse(repo, "pkg/core.py", history=False)
    found = {d.file: d.symbols for d in radius.dependents}
    assert found["pkg/first.py"] == ["area"]
    assert found["pkg/comment.py"] == ["area", "volume"]


def test_imports_after_a_header_a_form_feed_or_a_backslash_are_imports(
    tmp_path: Path,
) -> None:
    repo = write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/core.py": "def area(w, h):\n    return w * h\n\n\ndef volume():\n    return 1\n",
        "pkg/typed.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING: from pkg.core import area\n"),
        "pkg/fallback.py": "try: from pkg.core import volume\nexcept ImportError: volume = None\n",
        "pkg/lazy.py": "def f(): from pkg.core import area; return area(1, 2)\n",
        "pkg/paged.py": "\f\nimport os\n\f from pkg.core import area\n",
        "pkg/text.py": '"""Usage:\nif needed: from pkg.core import area\n"""\n',
        "pkg/continued.py": "from pkg.core \\\n    import volume\n",
    })
    radius = analyse(repo, "pkg/core.py", history=False)
    found = {d.file: d.symbols for d in radius.dependents}
    assert found["pkg/typed.py"] == ["area"]
    assert found["pkg/fallback.py"] == ["volume"]
    assert found["pkg/lazy.py"] == ["area"]
    assert found["pkg/paged.py"] == ["area"]
    assert found["pkg/continued.py"] == ["volume"]
    assert "pkg/text.py" not in found


def test_a_string_opened_on_the_line_another_closes_is_text(tmp_path: Path) -> None:
    repo = write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/core.py": "def area(w, h):\n    return w * h\n",
        "pkg/snippets.py": (
            'run("""\nimport os\n""", conftest="""\nfrom pkg.core import area\n""")\n'),
    })
    radius = analyse(repo, "pkg/core.py", history=False)
    assert "pkg/snippets.py" not in {d.file for d in radius.dependents}


def test_names_bound_by_unpacking_chains_and_nested_blocks_are_the_targets(
    tmp_path: Path,
) -> None:
    repo = write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/core.py": (
            "import sys\n\nA, B = 1, 2\n(\n    NO_VALUE,\n    DONT_SET,\n) = (3, 4)\n"
            "X = Y = 3\n\nif sys.version_info >= (3,):\n    try:\n        def deep():\n"
            "            return 1\n    except ImportError:\n        pass\n\n\n"
            "def f(\n    a,\n    b,\n):\n    inner = 1\n    return inner\n"),
        "pkg/user.py": (
            "from pkg.core import B, Y, deep, DONT_SET\nfrom pkg import core\n\n"
            "core.A + core.X + core.NO_VALUE\n"),
    })
    radius = analyse(repo, "pkg/core.py", history=False)
    user = next(d for d in radius.dependents if d.file == "pkg/user.py")
    assert user.symbols == ["A", "B", "DONT_SET", "NO_VALUE", "X", "Y", "deep"]


def test_a_name_read_through_a_module_that_star_reexports_the_target_is_a_direct_use(
    tmp_path: Path,
) -> None:
    repo = write(tmp_path, {
        "attr/__init__.py": "",
        "attr/validators.py": "__all__ = ['instance_of']\n\n\ndef instance_of(t):\n"
                              "    return t\n",
        "attrs/__init__.py": "from . import validators\n",
        "attrs/validators.py": "from attr.validators import *\n",
        "typing_tests/baseline.py": "import attrs\n\nattrs.validators.instance_of(int)\n",
    })
    radius = analyse(repo, "attr/validators.py", history=False)
    found = {d.file: (d.depth, d.symbols) for d in radius.dependents}
    assert found["typing_tests/baseline.py"] == (1, ["instance_of"])


def test_names_read_in_an_f_string_field_are_uses_and_in_its_text_are_not(
    tmp_path: Path,
) -> None:
    repo = write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/core.py": "def fmt(p):\n    return p\n\n\ndef other():\n    return 1\n",
        "pkg/cmd.py": ("import pkg.core\n\n"
                       "print(f\"{pkg.core.fmt('x')} and {{pkg.core.other}}\")\n"
                       "print(\"{pkg.core.other}\")\n"),
    })
    radius = analyse(repo, "pkg/core.py", history=False)
    assert {d.file: d.symbols for d in radius.dependents}["pkg/cmd.py"] == ["fmt"]


def test_a_submodule_the_package_does_not_bind_is_no_symbol_of_its_init(
    tmp_path: Path,
) -> None:
    repo = write(tmp_path, {
        "pkg/__init__.py": "from .api import get\nfrom . import models\n",
        "pkg/api.py": "def get():\n    return 1\n",
        "pkg/models.py": "X = 1\n",
        "pkg/_types.py": "T = int\n",
        "pkg/hooks.py": "from . import _types, models\nfrom pkg import get\n",
    })
    radius = analyse(repo, "pkg/__init__.py", history=False)
    hooks = next(d for d in radius.dependents if d.file == "pkg/hooks.py")
    assert (hooks.depth, hooks.symbols) == (1, ["get", "models"])
