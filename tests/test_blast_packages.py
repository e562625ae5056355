"""Import resolution through packages: namespace subpackages, attribute chains, ``__init__``."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_files as write

from healloop.analysis.api import api_breaks
from healloop.analysis.blast import analyse
from healloop.state import BlastRadius

HELPERS = "def url_for(name):\n    return name\n\n\ndef redirect(name):\n    return name\n"
UTILS = "class _KeepOpen:\n    pass\n\n\ndef iter_params():\n    return []\n"
INIT = (
    "from . import utils as utils\n"
    "from .helpers import redirect as redirect\n"
    "from .helpers import url_for as url_for\n"
    "from .utils import iter_params\n\n"
    "VERSION = '1'\n"
)



def dependents(repo: Path, target: str) -> dict[str, tuple[int, list[str]]]:
    radius = analyse(repo, target, history=False)
    return {d.file: (d.depth, d.symbols) for d in radius.dependents}


# ---------------------------------------------------------------------------
# Folders without __init__.py inside a package


@pytest.fixture
def src_layout(tmp_path: Path) -> Path:
    return write(tmp_path, {
        "src/web/__init__.py": "from .app import App\n",
        "src/web/app.py": "from .sansio.app import App as _Base\n\n\nclass App(_Base):\n"
                          "    pass\n",
        "src/web/sansio/app.py": "from .scaffold import Scaffold\n\n\nclass App(Scaffold):\n"
                                 "    pass\n",
        "src/web/sansio/scaffold.py": "from .. import typing as t\n\n\nclass Scaffold:\n"
                                      "    kind = t.NAME\n",
        "src/web/typing.py": "NAME = 'web'\n",
        "tests/helpers.py": "from web import App\n\n\ndef make():\n    return App()\n",
        "tests/test_app.py": "from helpers import make\n\n\ndef test_make():\n"
                             "    assert make()\n",
        "tests/test_scaffold.py": "from web.sansio.scaffold import Scaffold\n\n\n"
                                  "def test_kind():\n    assert Scaffold.kind == 'web'\n",
        # Stray folders: not packages, whatever their files import.
        "examples/demo/run.py": "import app\nimport scaffold\n\napp.App()\n",
        "scripts/tool.py": "from sansio.app import App\n",
    })


def test_module_in_a_folder_without_init_under_a_package_has_its_dotted_name(
    src_layout: Path,
) -> None:
    radius = analyse(src_layout, "src/web/sansio/app.py", history=False)
    assert radius.module == "web.sansio.app"
    found = {d.file: d.depth for d in radius.dependents}
    assert found["src/web/app.py"] == 1
    assert found["src/web/__init__.py"] == 2
    assert found["tests/helpers.py"] == 3
    assert "tests/test_app.py" in radius.tests


def test_relative_imports_from_a_folder_without_init_resolve(src_layout: Path) -> None:
    assert dependents(src_layout, "src/web/sansio/scaffold.py")["src/web/sansio/app.py"] == (
        1, ["Scaffold"])
    assert dependents(src_layout, "src/web/typing.py")["src/web/sansio/scaffold.py"] == (
        1, ["NAME"])
    radius = analyse(src_layout, "src/web/sansio/scaffold.py", history=False)
    assert radius.tests == ["tests/test_app.py", "tests/test_scaffold.py"]


def test_stray_folders_do_not_become_packages(src_layout: Path) -> None:
    for target in ("src/web/sansio/app.py", "src/web/sansio/scaffold.py"):
        found = dependents(src_layout, target)
        assert "examples/demo/run.py" not in found
        assert "scripts/tool.py" not in found
    # tests/ has no __init__.py: its modules import each other by their bare names.
    assert dependents(src_layout, "tests/helpers.py") == {"tests/test_app.py": (1, ["make"])}


def test_tests_folder_under_a_root_package_keeps_its_bare_names(tmp_path: Path) -> None:
    repo = write(tmp_path, {
        "pyproject.toml": '[tool.setuptools.package-dir]\nrootpkg = "."\n',
        "__init__.py": "",
        "core.py": "def f():\n    return 1\n",
        "sub/__init__.py": "",
        "sub/ns/mod.py": "from ...core import f\n\nf()\n",
        "tests/helpers.py": "from rootpkg.core import f\n\n\ndef make():\n    return f()\n",
        "tests/test_a.py": "from helpers import make\n\n\ndef test_a():\n    assert make()\n",
    })
    assert dependents(repo, "tests/helpers.py") == {"tests/test_a.py": (1, ["make"])}
    found = dependents(repo, "core.py")
    assert found["sub/ns/mod.py"] == (1, ["f"])
    assert found["tests/test_a.py"] == (2, [])


def test_test_folder_without_init_inside_a_package_keeps_its_bare_names(
    src_layout: Path,
) -> None:
    write(src_layout, {
        "src/web/tests/support.py": "from ..typing import NAME\n\n\ndef name():\n"
                                    "    return NAME\n",
        "src/web/tests/test_inner.py": "from support import name\n\n\ndef test_name():\n"
                                       "    assert name()\n",
    })
    assert dependents(src_layout, "src/web/tests/support.py") == {
        "src/web/tests/test_inner.py": (1, ["name"])}
    found = dependents(src_layout, "src/web/typing.py")
    assert found["src/web/tests/support.py"] == (1, ["NAME"])
    assert found["src/web/tests/test_inner.py"] == (2, [])


# ---------------------------------------------------------------------------
# Attribute chains through a package


@pytest.fixture
def attrs(tmp_path: Path) -> Path:
    return write(tmp_path, {
        "pkg/__init__.py": INIT,
        "pkg/helpers.py": HELPERS,
        "pkg/utils.py": UTILS,
        "pkg/sub/__init__.py": "",
        "pkg/sub/deep.py": "def value():\n    return 1\n",
        "pkg/loader.py": "from .sub import deep\n",
        "tests/test_attr.py": (
            "import pkg\n\n\ndef test_keep():\n    assert pkg.utils._KeepOpen()\n\n\n"
            "def test_url():\n    assert pkg.url_for('a') == pkg.redirect('a')\n\n\n"
            "def test_params():\n    assert pkg.iter_params() == []\n\n\n"
            "def test_version():\n    assert pkg.VERSION\n"
        ),
        "tests/test_alias.py": (
            "import pkg.sub as s\n\n\ndef test_deep():\n    assert s.deep.value() == 1\n"
        ),
        "tests/test_from.py": (
            "from pkg import sub\n\n\ndef test_deep():\n    assert sub.deep.value() == 1\n"
        ),
        "tests/test_other.py": "import pkg\n\n\ndef test_nothing():\n    assert pkg\n",
    })


def test_submodule_reached_as_a_package_attribute_is_a_direct_use(attrs: Path) -> None:
    radius = analyse(attrs, "pkg/utils.py", history=False)
    found = {d.file: (d.depth, d.symbols) for d in radius.dependents}
    assert found["tests/test_attr.py"] == (1, ["_KeepOpen", "iter_params"])
    assert found["tests/test_other.py"][0] == 2
    assert [t for t in radius.test_functions if "test_attr" in t] == [
        "tests/test_attr.py::test_keep", "tests/test_attr.py::test_params"]


def test_reexported_name_read_through_the_package_is_a_direct_use(attrs: Path) -> None:
    radius = analyse(attrs, "pkg/helpers.py", history=False)
    found = {d.file: (d.depth, d.symbols) for d in radius.dependents}
    assert found["tests/test_attr.py"] == (1, ["redirect", "url_for"])
    assert radius.test_functions == ["tests/test_attr.py::test_url"]


def test_aliased_or_imported_package_reaches_its_submodules(attrs: Path) -> None:
    found = dependents(attrs, "pkg/sub/deep.py")
    assert found["tests/test_alias.py"] == (1, ["value"])
    assert found["tests/test_from.py"] == (1, ["value"])


# ---------------------------------------------------------------------------
# What dependents use of a package's __init__


def test_init_lists_only_names_the_package_binds(attrs: Path) -> None:
    write(attrs, {
        "examples/app.py": "import pkg\nfrom pkg import Missing\n\npkg.get_stdin()\npkg.VERSION\n",
    })
    found = dependents(attrs, "pkg/__init__.py")
    assert found["examples/app.py"] == (1, ["VERSION"])
    assert found["tests/test_attr.py"] == (
        1, ["VERSION", "iter_params", "redirect", "url_for", "utils"])


def test_api_gate_keeps_reexports_and_asks_nothing_of_unbound_names(attrs: Path) -> None:
    write(attrs, {"examples/app.py": "import pkg\n\npkg.get_stdin()\npkg.url_for('x')\n"})
    radius = analyse(attrs, "pkg/__init__.py", history=False)
    assert "get_stdin" not in radius.used_symbols()
    assert api_breaks(INIT, INIT, radius) == []
    dropped = INIT.replace("from .helpers import url_for as url_for\n", "")
    assert [b.split(" (")[0] for b in api_breaks(INIT, dropped, radius)] == [
        "url_for: removed"]


def test_api_gate_alone_ignores_a_name_the_old_module_never_bound() -> None:
    radius = BlastRadius(target="pkg/__init__.py")
    assert api_breaks(INIT, "", {"get_stdin": ["examples/app.py"]}) == []
    assert api_breaks(INIT, INIT, radius) == []


def test_package_inside_a_folder_without_init_keeps_its_bare_name(src_layout: Path) -> None:
    # A script puts the folder on sys.path and imports the package by its own name.
    write(src_layout, {
        "src/web/perf/bench/__init__.py": "",
        "src/web/perf/bench/__main__.py": "from bench import command\n\ncommand.main()\n",
        "src/web/perf/bench/command.py": "def main():\n    return 0\n",
    })
    radius = analyse(src_layout, "src/web/perf/bench/command.py", history=False)
    assert radius.module == "web.perf.bench.command"
    assert {d.file: d.symbols for d in radius.dependents} == {
        "src/web/perf/bench/__main__.py": ["main"]}


def test_a_test_importing_only_a_submodule_reaches_the_package_init(tmp_path: Path) -> None:
    repo = write(tmp_path, {
        "pkg/__init__.py": "import warnings\n\nwarnings.simplefilter('error')\n",
        "pkg/sub.py": "def f():\n    return 1\n",
        "app.py": "from pkg.sub import f\n",
        "tests/test_sub.py": "from pkg.sub import f\n\n\ndef test_f():\n    assert f() == 1\n",
        "tests/test_app.py": "import app\n\n\ndef test_app():\n    assert app.f\n",
        "tests/test_other.py": "def test_nothing():\n    pass\n",
    })
    # Importing pkg.sub runs pkg/__init__.py first, and its warnings filter with it.
    assert analyse(repo, "pkg/__init__.py", history=False).tests == [
        "tests/test_app.py", "tests/test_sub.py"]


def test_a_test_importing_only_a_submodule_runs_what_the_package_init_imports(
    tmp_path: Path,
) -> None:
    repo = write(tmp_path, {
        "pkg/__init__.py": "from pkg import utils\n",
        "pkg/utils.py": "from pkg.certs import where\n",
        "pkg/certs.py": "def where():\n    return 'ca.pem'\n",
        "pkg/sub.py": "def f():\n    return 1\n",
        "tests/test_sub.py": "from pkg.sub import f\n\n\ndef test_f():\n    assert f() == 1\n",
        "tests/test_other.py": "def test_nothing():\n    pass\n",
    })
    # Importing pkg.sub runs pkg/__init__.py, which imports utils, which imports certs.
    assert analyse(repo, "pkg/certs.py", history=False).tests == ["tests/test_sub.py"]
