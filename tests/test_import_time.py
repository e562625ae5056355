"""A change to code run at import reaches the tests that read the names it binds."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import git_commit, write_repo

from healloop.analysis.blast import analyse
from healloop.analysis.import_time import (
    ImportTimeEffect,
    binds,
    changed_sites,
    runs_for_subclasses,
    site,
)
from healloop.analysis.test_impact import (
    affected_tests,
    collect_coverage_map,
    load_coverage_map,
)


def statement(source: str) -> ast.stmt:
    return ast.parse(source).body[0]


@pytest.mark.parametrize(("source", "names"), [
    ("import os.path as osp\n", {"osp"}),
    ("import os.path\n", {"os"}),
    ("from .compat import urljoin, quote as q\n", {"urljoin", "q"}),
    ("a, (b, *c) = 1, (2, 3)\n", {"a", "b", "c"}),
    ("TIMEOUT: float = 5\n", {"TIMEOUT"}),
    ("COUNT += 1\n", {"COUNT"}),
    ('"""The module\'s docstring."""\n', {"__doc__"}),
    ("if sys.platform == 'win32':\n    def clock(): ...\nelse:\n    clock = time.time\n",
     {"clock"}),
    ("try:\n    import simplejson as json\nexcept ImportError as exc:\n    import json\n",
     {"json", "exc"}),
    ("with open('f') as f:\n    DATA = f.read()\n", {"f", "DATA"}),
    ("for _n in range(3):\n    LAST = _n\n", {"_n", "LAST"}),
    ("@decorate\nclass Session(Base):\n    timeout = 5\n", {"Session"}),
    # A feature test: reading an attribute calls nothing.
    ("try:\n    ssl.SSLContext\n    MODERN = True\nexcept AttributeError:\n"
     "    MODERN = False\n", {"MODERN"}),
])
def test_import_time_statements_that_only_bind_names(source: str, names: set[str]) -> None:
    assert binds(statement(source)) == names


@pytest.mark.parametrize("source", [
    "sys.setrecursionlimit(2000)\n",                      # a call made for its effect
    "CODES['ok'] = 200\n",                                # an item of a shared object
    "sys.modules['requests.packages.urllib3'] = urllib3\n",
    "config.timeout = 5\n",                               # an attribute of one
    "from .compat import *\n",                            # names nobody can list
    "__all__ = ['get']\n",                                # what star imports take
    "if DEBUG:\n    logging.basicConfig()\n",             # an effect in a branch
])
def test_import_time_statements_that_do_more_than_bind_reach_what_cannot_be_told(
    source: str,
) -> None:
    with pytest.raises(ImportTimeEffect):
        binds(statement(source))


MODULE = '''\
import time


@cached
def area(w, h=1):
    return w * h


class Shape:
    sides = 4

    def __eq__(self, other):
        return True


if DEBUG:
    LEVEL = 10
'''


@pytest.mark.parametrize(("line", "kind", "bound"), [
    (1, "stmt", {"time"}),
    (4, "def", {"area"}),                  # a decorator is the definition's header
    (5, "def", {"area"}),
    (6, "body", None),
    (9, "class", {"Shape"}),
    (10, "stmt", {"sides", "Shape"}),      # a class attribute: whoever names the class
    (12, "def", {"__eq__"}),
    (13, "body", None),
    (17, "stmt", {"LEVEL"}),               # a branch binds for its whole statement
])
def test_each_line_has_a_site_that_says_what_it_binds(
    line: int, kind: str, bound: set[str] | None,
) -> None:
    where = site(ast.parse(MODULE).body, line)
    assert where is not None and where.kind == kind
    if bound is not None:
        assert where.binds() == bound
    assert site(ast.parse(MODULE).body, 2) is None  # between statements


ROUTES = (
    "@app.route('/a')\ndef a():\n    return 1\n\n\n"
    "@functools.lru_cache(maxsize=2)\ndef b():\n    return 2\n"
)


def test_a_decorator_that_may_register_what_it_decorates_reaches_what_cannot_be_told() -> None:
    # The route moves: the tests asking for /b now reach a(), and no name says so.
    with pytest.raises(ImportTimeEffect, match="may register a"):
        changed_sites(ast.parse(ROUTES.replace("'/a'", "'/b'")), {1})
    # A cache's size changes only what it wraps: whoever calls b() by name.
    sites = changed_sites(ast.parse(ROUTES.replace("maxsize=2", "maxsize=4")), {6})
    assert [(s.kind, s.binds()) for s in sites] == [("def", {"b"})]


FILES = {
    "pkg/__init__.py": "",
    "pkg/config.py": (
        "import sys\n"
        "\n"
        "TIMEOUT = 5\n"
        "RETRIES = 3\n"
        "\n"
        "if sys.platform == 'win32':\n"
        "    SEPARATOR = '\\\\'\n"
        "else:\n"
        "    SEPARATOR = '/'\n"
    ),
    "pkg/client.py": (
        "from pkg.config import TIMEOUT as LIMIT\n"
        "\n"
        "DEFAULT = LIMIT * 2\n"
        "\n"
        "\n"
        "def wait():\n"
        "    return DEFAULT\n"
    ),
    "pkg/paths.py": (
        "from pkg import config\n"
        "\n"
        "\n"
        "def join(*parts):\n"
        "    return config.SEPARATOR.join(parts)\n"
    ),
    "tests/test_client.py": (
        "from pkg.client import wait\n\n\ndef test_wait():\n    assert wait() == 10\n"
    ),
    "tests/test_paths.py": (
        "from pkg.paths import join\n\n\ndef test_join():\n    assert join('a', 'b') == 'a/b'\n\n\n"
        "def test_nothing_joined():\n    assert join() == ''\n"
    ),
    "tests/test_retries.py": (
        "import pytest\n\nfrom pkg.config import RETRIES\n\n\n"
        "@pytest.mark.skipif(RETRIES > 5, reason='too many')\n"
        "def test_few():\n    assert RETRIES < 5\n\n\n"
        "def test_other():\n    assert True\n"
    ),
    "tests/test_unrelated.py": (
        "import pkg.config\n\n\ndef test_config_imports():\n    assert pkg.config\n"
    ),
}
CONFIG = FILES["pkg/config.py"]


@pytest.fixture(scope="module")
def mapped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = write_repo(tmp_path_factory.mktemp("import-time"), FILES)
    collect_coverage_map(repo)
    return repo


def selected(repo: Path, new: str, target: str = "pkg/config.py") -> list[str]:
    old = (repo / target).read_text()
    return affected_tests(analyse(repo, target, knowledge_graph=False), repo=repo,
                          old=old, new=new)


# Every list holds tests/test_client.py::test_wait, one test of the first file that
# imports the module: pytest imports it to collect it, so a broken import fails it.
@pytest.mark.slow
@pytest.mark.parametrize(("change", "expected"), [
    # Read under an alias by another module's constant, read by a function: followed.
    (CONFIG.replace("TIMEOUT = 5", "TIMEOUT = 6"), ["tests/test_client.py::test_wait"]),
    # Read at import by a test module (a mark): that test file runs whole.
    (CONFIG.replace("RETRIES = 3", "RETRIES = 9"),
     ["tests/test_client.py::test_wait", "tests/test_retries.py"]),
    # A platform switch: the tests that ran a line reading what it binds.
    (CONFIG.replace("== 'win32'", "!= 'win32'"),
     ["tests/test_client.py::test_wait", "tests/test_paths.py::test_join",
      "tests/test_paths.py::test_nothing_joined"]),
    # A name nothing reads yet: only the import is at stake.
    (CONFIG + "\nUNUSED = 1\n", ["tests/test_client.py::test_wait"]),
    # Comments and layout: the same code.
    (CONFIG.replace("TIMEOUT = 5", "TIMEOUT = 5  # seconds"), []),
])
def test_a_change_to_names_bound_at_import_runs_the_tests_that_read_them(
    mapped: Path, change: str, expected: list[str],
) -> None:
    assert selected(mapped, change) == expected


EVERY_FILE = ["tests/test_client.py", "tests/test_paths.py", "tests/test_retries.py",
              "tests/test_unrelated.py"]


@pytest.mark.slow
@pytest.mark.parametrize("change", [
    # Done for its effect: anything may see it.
    CONFIG + "\nsys.setrecursionlimit(5000)\n",
    # A registry filled in place.
    CONFIG.replace("RETRIES = 3\n", "RETRIES = 3\nOPTIONS = {}\nOPTIONS['retries'] = 3\n"),
])
def test_a_change_at_import_that_does_more_than_bind_runs_every_test_file_reaching_it(
    mapped: Path, change: str,
) -> None:
    assert selected(mapped, change) == EVERY_FILE


@pytest.mark.slow
def test_a_name_read_by_a_function_run_at_import_runs_every_test_file_reaching_it(
    tmp_path: Path,
) -> None:
    files = dict(FILES)
    files["pkg/client.py"] = (
        "from pkg.config import TIMEOUT\n\n\ndef _default():\n    return TIMEOUT * 2\n\n\n"
        "DEFAULT = _default()\n\n\ndef wait():\n    return DEFAULT\n"
    )
    repo = write_repo(tmp_path, files)
    collect_coverage_map(repo)
    assert selected(repo, CONFIG.replace("TIMEOUT = 5", "TIMEOUT = 6")) == EVERY_FILE


@pytest.mark.slow
def test_a_reading_file_changed_since_the_map_runs_every_test_file_reaching_it(
    tmp_path: Path,
) -> None:
    repo = write_repo(tmp_path, FILES)
    collect_coverage_map(repo)
    client = repo / "pkg/client.py"
    client.write_text("\n\n" + client.read_text())  # its lines moved: the map's are not
    assert selected(repo, CONFIG.replace("TIMEOUT = 5", "TIMEOUT = 6")) == EVERY_FILE
    git_commit(repo, "moved")  # a new commit has no map: imports alone
    assert selected(repo, CONFIG.replace("TIMEOUT = 5", "TIMEOUT = 6")) == EVERY_FILE


@pytest.mark.slow
def test_a_change_that_breaks_the_import_fails_the_one_test_of_the_module_it_runs(
    mapped: Path,
) -> None:
    from healloop.sandbox.pytest_run import run_tests
    from healloop.sandbox.workspace import Workspace
    from healloop.state import FileChange

    broken = CONFIG.replace("RETRIES = 3", "RETRIES = int('three')")
    chosen = selected(mapped, broken)
    assert "tests/test_client.py::test_wait" in chosen
    with Workspace(mapped) as workspace:
        workspace.apply([FileChange(path="pkg/config.py", content=broken)])
        run = run_tests(workspace, chosen)
    assert not run.passed
    assert any("invalid literal for int()" in error for error in run.errors)


HOOKS = {
    "pkg/__init__.py": "",
    "pkg/hooks.py": "def default_hooks():\n    return {'response': []}\n",
    "tests/test_params.py": (
        "import pytest\n\nfrom pkg.hooks import default_hooks\n\n\n"
        "@pytest.mark.parametrize('hooks', [default_hooks()])\n"
        "def test_given(hooks):\n    assert hooks == {'response': []}\n\n\n"
        "def test_other():\n    assert True\n"
    ),
    "tests/test_calls.py": (
        "from pkg.hooks import default_hooks\n\n\n"
        "def test_calls():\n    assert default_hooks() == {'response': []}\n"
    ),
    "tests/test_reaching.py": "import pkg.hooks\n\n\ndef test_imports():\n    assert pkg.hooks\n",
}
NO_HOOKS = HOOKS["pkg/hooks.py"].replace("[]", "None")
EVERY_HOOKS_FILE = ["tests/test_calls.py", "tests/test_params.py", "tests/test_reaching.py"]


def hooks_repo(tmp_path: Path, changed: dict[str, str] | None = None) -> Path:
    repo = write_repo(tmp_path, {**HOOKS, **(changed or {})})
    collect_coverage_map(repo)
    return repo


@pytest.mark.slow
def test_a_function_a_test_module_calls_while_collected_runs_that_file_whole(
    tmp_path: Path,
) -> None:
    repo = hooks_repo(tmp_path)
    coverage, _ = load_coverage_map(repo)
    assert coverage is not None
    assert coverage.collected_by("pkg/hooks.py", 2) == ["tests/test_params.py"]
    assert "tests/test_params.py" in coverage.first_imports["tests/test_params.py"]
    # The parameter holds what it returned for test_params' tests, and test_calls
    # calls it; test_reaching only imports the module.
    assert selected(repo, NO_HOOKS, "pkg/hooks.py") == [
        "tests/test_calls.py::test_calls", "tests/test_params.py"]


@pytest.mark.slow
@pytest.mark.parametrize("changed", [
    # The test module keeps the result where every later test sees it.
    {"tests/test_params.py": HOOKS["tests/test_params.py"] + "\nimport pkg\n"
                             "pkg.SHARED = default_hooks()\n"},
    # Another test module imports it, and what its collection built with it.
    {"tests/test_reuse.py": "from test_params import test_given\n\n\n"
                            "def test_reused():\n    assert test_given\n"},
    # A module imported while collecting it calls the function at import and keeps it.
    {"pkg/defaults.py": "from pkg.hooks import default_hooks\n\nDEFAULT = default_hooks()\n",
     "tests/test_params.py": "from pkg.defaults import DEFAULT\n"
                             + HOOKS["tests/test_params.py"]},
])
def test_a_function_run_while_collecting_whose_result_may_outlive_the_file_runs_every_file(
    tmp_path: Path, changed: dict[str, str],
) -> None:
    repo = hooks_repo(tmp_path, changed)
    reaching = selected(repo, NO_HOOKS, "pkg/hooks.py")
    assert set(EVERY_HOOKS_FILE) <= set(reaching)
    assert all("::" not in test for test in reaching)


PLUGINS = {
    "pkg/__init__.py": "",
    "pkg/codec.py": (
        "class Codec:\n    registry = {}\n\n"
        "    def __init_subclass__(cls, **kwargs):\n"
        "        super().__init_subclass__(**kwargs)\n"
        "        Codec.registry[cls.__name__.lower()] = cls\n\n\n"
        "class Plain:\n    pass\n"
    ),
    "pkg/formats.py": (
        "from pkg.codec import Codec, Plain\n\n\n"
        "class Base64(Codec):\n    wide = False\n\n\n"
        "class Hex(Base64):\n    wide = True\n\n\n"
        "class Text(Plain):\n    wide = False\n"
    ),
    "tests/test_formats.py": (
        "from pkg.formats import Hex, Text\n\n\n"
        "def test_hex_is_wide():\n    assert Hex.wide\n\n\n"
        "def test_text_is_narrow():\n    assert not Text.wide\n"
    ),
    "tests/test_registry.py": (
        "import pkg.formats  # noqa: F401  (registers the codecs)\n"
        "from pkg.codec import Codec\n\n\n"
        "def test_known_codecs():\n    assert sorted(Codec.registry) == ['base64', 'hex']\n"
    ),
}
FORMATS = PLUGINS["pkg/formats.py"]


@pytest.mark.slow
@pytest.mark.parametrize("change", [
    FORMATS.replace("class Hex(", "class Hexadecimal("),        # registered under a new key
    FORMATS + "\n\nclass Ascii(Codec):\n    wide = False\n",   # one more registered
    FORMATS.replace("class Hex(Base64):\n    wide = True", "class Hex(Base64):\n    wide = 1"),
])
def test_a_change_to_a_class_whose_base_registers_its_subclasses_runs_every_file_reaching_it(
    tmp_path: Path, change: str,
) -> None:
    repo = write_repo(tmp_path, PLUGINS)
    collect_coverage_map(repo)
    # The registry is read by key: no line names what the change binds.
    assert selected(repo, change, "pkg/formats.py") == [
        "tests/test_formats.py", "tests/test_registry.py"]
    # A class built without such a hook stays with the tests that read its names (a
    # test module importing it, at collection: that file whole).
    assert selected(repo, FORMATS.replace("class Text(Plain):\n    wide = False",
                                          "class Text(Plain):\n    wide = 0"),
                    "pkg/formats.py") == ["tests/test_formats.py"]


@pytest.mark.parametrize(("header", "runs"), [
    ("class A(Base, metaclass=Registered):", True),
    ("class A(Base, metaclass=abc.ABCMeta):", False),
    ("class A(Generic[T]):", False),
])
def test_a_metaclass_other_than_abcmeta_runs_code_for_each_class_built(
    header: str, runs: bool,
) -> None:
    cls = statement(f"{header}\n    pass\n")
    assert isinstance(cls, ast.ClassDef)
    assert runs_for_subclasses(cls) is runs


def test_the_body_of_a_main_block_runs_only_as_a_program_never_at_import() -> None:
    module = ast.parse("import sys\n\n\ndef main():\n    return 0\n\n\n"
                       "if __name__ == '__main__':\n    sys.exit(main())\n")
    assert site(module.body, 9).kind == "body"
    assert site(module.body, 8).kind == "stmt"  # the guard itself runs at import


@pytest.mark.slow
def test_a_main_block_no_test_runs_neither_reads_at_import_nor_is_run(tmp_path: Path) -> None:
    client = FILES["pkg/client.py"] + "\n\nif __name__ == '__main__':\n    print(LIMIT, wait())\n"
    repo = write_repo(tmp_path, {**FILES, "pkg/client.py": client})
    collect_coverage_map(repo)
    # Its reading of LIMIT runs in no test: the constant's readers are as without it.
    assert selected(repo, CONFIG.replace("TIMEOUT = 5", "TIMEOUT = 6")) == [
        "tests/test_client.py::test_wait"]
    # A change inside it: no test runs the module as a program.
    assert selected(repo, client.replace("print(LIMIT, wait())", "print(wait())"),
                    "pkg/client.py") == []
