"""Dynamic test selection: a coverage map finds tests that no import statement shows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import git_commit, invoke, write_repo

from healloop.analysis.blast import analyse
from healloop.analysis.test_impact import affected_by, affected_tests, collect_coverage_map
from healloop.state import Evaluation

pytestmark = pytest.mark.slow

FILES = {
    "pkg/__init__.py": "",
    "pkg/core.py": "def area(w, h):\n    return w * h\n",
    "pkg/plugins.py": (
        "import importlib\n\n\ndef load(name):\n"
        "    return importlib.import_module(name)\n"
    ),
    "tests/test_core.py": (
        "from pkg.core import area\n\n\ndef test_area():\n    assert area(2, 3) == 6\n"
    ),
    "tests/test_plugins.py": (
        "from pkg.plugins import load\n\n\ndef test_loads_core_by_name():\n"
        "    assert load('pkg.core').area(1, 1) == 1\n\n\n"
        "def test_loads_os():\n    assert load('os')\n"
    ),
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_repo(tmp_path, FILES)


def test_without_a_map_tests_come_from_imports_and_run_whole(repo: Path) -> None:
    radius = analyse(repo, "pkg/core.py")
    assert radius.test_source == "imports"
    assert radius.tests == ["tests/test_core.py"]
    assert affected_tests(radius) == ["tests/test_core.py"]
    assert any("imports only (no coverage map" in n for n in radius.notes)


def test_coverage_map_adds_the_test_that_loads_the_target_by_name(repo: Path) -> None:
    covered = collect_coverage_map(repo)
    assert covered.ran("pkg/core.py") == ["tests/test_core.py::test_area",
                                      "tests/test_plugins.py::test_loads_core_by_name"]
    radius = analyse(repo, "pkg/core.py")
    assert radius.test_source == "coverage"
    assert affected_tests(radius) == ["tests/test_core.py::test_area",
                                    "tests/test_plugins.py::test_loads_core_by_name"]
    assert any("found beyond imports: tests/test_plugins.py" in n for n in radius.notes)


def test_a_parametrized_test_is_counted_once_per_case_that_ran_the_target(
    repo: Path,
) -> None:
    (repo / "tests/test_cases.py").write_text(
        "import pytest\n\nfrom pkg.core import area\n\n\n"
        "@pytest.mark.parametrize('w', [1, 2])\ndef test_area(w):\n"
        "    assert area(w, 1) == w\n")
    git_commit(repo, "a parametrized test")
    collect_coverage_map(repo)
    radius = analyse(repo, "pkg/core.py")
    cases = [t for t in radius.test_functions if t.startswith("tests/test_cases.py")]
    assert cases == ["tests/test_cases.py::test_area[1]", "tests/test_cases.py::test_area[2]"]
    note = next(n for n in radius.notes if n.startswith("coverage map of"))
    assert f"{len(radius.test_functions)} test(s) ran pkg/core.py" in note, note


def test_the_map_lists_every_test_in_the_order_the_suite_ran_them(repo: Path) -> None:
    (repo / "tests/test_math.py").write_text("def test_sum():\n    assert 1 + 1 == 2\n")
    git_commit(repo, "a test that runs none of the repository's lines")
    assert collect_coverage_map(repo).tests == [
        "tests/test_core.py::test_area", "tests/test_math.py::test_sum",
        "tests/test_plugins.py::test_loads_core_by_name", "tests/test_plugins.py::test_loads_os"]


def test_a_change_inside_a_function_runs_only_the_tests_that_ran_its_lines(
    repo: Path,
) -> None:
    (repo / "pkg/core.py").write_text(
        "def area(w, h):\n    return w * h\n\n\ndef unused(x):\n    return x\n")
    (repo / "tests/test_core.py").write_text(
        "from pkg.core import area, unused\n\n\ndef test_area():\n"
        "    assert area(2, 3) == 6\n\n\ndef test_unused():\n    assert unused(1) == 1\n")
    git_commit(repo, "more")
    collect_coverage_map(repo)
    radius = analyse(repo, "pkg/core.py")
    old = (repo / "pkg/core.py").read_text()
    in_area = old.replace("return w * h", "return w + h")
    assert affected_tests(radius, repo=repo, old=old, new=in_area) == [
        "tests/test_core.py::test_area", "tests/test_plugins.py::test_loads_core_by_name"]
    in_unused = old.replace("return x", "return -x")
    assert affected_tests(radius, repo=repo, old=old, new=in_unused) == [
        "tests/test_core.py::test_unused"]
    # A new default is evaluated at import time: the tests that ran a line naming
    # area (test_core imports it at collection: the whole file) or its body.
    signature = old.replace("def area(w, h):", "def area(w, h=1):")
    assert affected_tests(radius, repo=repo, old=old, new=signature) == [
        "tests/test_core.py", "tests/test_plugins.py::test_loads_core_by_name"]


@pytest.mark.parametrize(("conftest", "expected"), [
    (None, ["tests/test_client.py"]),
    # A root conftest imports the package while pytest starts, before any test
    # module, and every test file sits under it: a map that began measuring later
    # would show _init's line as run by no test, and select nothing.
    ("import pkg.client  # noqa: F401\n",
     ["tests/test_client.py", "tests/test_core.py", "tests/test_plugins.py"]),
])
def test_a_change_to_code_run_at_import_runs_every_test_file_that_reaches_it(
    repo: Path, conftest: str | None, expected: list[str],
) -> None:
    # CODES is filled by a function called at import, before any test starts: no
    # test's coverage shows the line, yet the test of the module reading CODES fails.
    if conftest:
        (repo / "conftest.py").write_text(conftest)
    (repo / "pkg/codes.py").write_text(
        "CODES = {}\n\n\ndef _init():\n    CODES['ok'] = 200\n\n\n_init()\n")
    (repo / "pkg/client.py").write_text(
        "from pkg.codes import CODES\n\n\ndef ok():\n    return CODES['ok']\n")
    (repo / "tests/test_client.py").write_text(
        "from pkg.client import ok\n\n\ndef test_ok():\n    assert ok() == 200\n")
    git_commit(repo, "codes")
    covered = collect_coverage_map(repo)
    assert -1 in covered.lines["pkg/codes.py"][5]
    radius = analyse(repo, "pkg/codes.py")
    old = (repo / "pkg/codes.py").read_text()
    changed = old.replace("= 200", "= 201")
    assert affected_tests(radius, repo=repo, old=old, new=changed) == expected


SHARED_FIXTURES = {
    "pkg/__init__.py": "",
    "pkg/settings.py": (
        "def default_timeout():\n    return 5\n\n\ndef retries():\n    return 3\n"
    ),
    "pkg/client.py": (
        "class Client:\n    def __init__(self, timeout):\n        self.timeout = timeout\n"
    ),
    "tests/conftest.py": (
        "import pytest\n\nfrom pkg.client import Client\nfrom pkg.settings import "
        "default_timeout\n\n\n@pytest.fixture(scope='session')\ndef client():\n"
        "    return Client(default_timeout())\n"
    ),
    "tests/test_a.py": (
        "def test_one(client):\n    assert client.timeout == 5\n\n\n"
        "def test_two(client):\n    assert client.timeout == 5\n"
    ),
    "tests/test_b.py": (
        "import pytest\n\nfrom pkg.settings import retries\n\n\n"
        "@pytest.fixture(scope='module')\ndef tries():\n    return retries()\n\n\n"
        "def test_three(client):\n    assert client.timeout < 6\n\n\n"
        "def test_tries(tries):\n    assert tries == 3\n\n\n"
        "def test_tries_again(tries):\n    assert tries > 2\n"
    ),
    # setUpClass runs once for its class: pytest makes it a fixture of the class.
    "tests/test_d.py": (
        "import unittest\n\nfrom pkg.settings import retries\n\n\n"
        "class TestRetries(unittest.TestCase):\n    @classmethod\n"
        "    def setUpClass(cls):\n        cls.tries = retries()\n\n"
        "    def test_first(self):\n        self.assertEqual(self.tries, 3)\n\n"
        "    def test_second(self):\n        self.assertGreater(self.tries, 2)\n"
    ),
    # A fixture of the same name elsewhere is another fixture.
    "tests/other/conftest.py": (
        "import pytest\n\n\n@pytest.fixture\ndef client():\n    return None\n"
    ),
    "tests/other/test_c.py": "def test_own_client(client):\n    assert client is None\n",
}


@pytest.mark.parametrize(("old", "new", "expected"), [
    # Set up once, in test_one: every test asking for the session's client gets it.
    ("return 5", "return 6", ["tests/test_a.py::test_one", "tests/test_a.py::test_two",
                              "tests/test_b.py::test_three"]),
    # A module's fixture: the tests of that module asking for it; a class's setup.
    ("return 3", "return 4", ["tests/test_b.py::test_tries", "tests/test_b.py::test_tries_again",
                              "tests/test_d.py::TestRetries::test_first",
                              "tests/test_d.py::TestRetries::test_second"]),
])
def test_a_change_to_what_a_shared_fixture_builds_runs_every_test_using_it(
    tmp_path: Path, old: str, new: str, expected: list[str],
) -> None:
    repo = write_repo(tmp_path, SHARED_FIXTURES)
    collect_coverage_map(repo)
    radius = analyse(repo, "pkg/settings.py")
    text = (repo / "pkg/settings.py").read_text()
    assert affected_tests(radius, repo=repo, old=text, new=text.replace(old, new)) == expected


CACHED = {
    "pkg/__init__.py": "",
    "pkg/settings.py": (
        "import functools\n\n\n@functools.lru_cache(maxsize=None)\ndef load():\n"
        "    return {'timeout': 5}\n\n\ndef timeout():\n    return load()['timeout']\n\n\n"
        "def retries():\n    return 3\n"
    ),
    "pkg/client.py": (
        "from functools import cached_property\n\n\nclass Client:\n    @cached_property\n"
        "    def pool(self):\n        return ['connection'] * 2\n\n\nCLIENT = Client()\n"
    ),
    "tests/test_a.py": (
        "from pkg import settings\n\n\n"
        "def test_load():\n    assert settings.load()['timeout'] == 5\n\n\n"
        "def test_timeout():\n    assert settings.timeout() == 5\n\n\n"
        "def test_retries():\n    assert settings.retries() == 3\n"
    ),
    "tests/test_b.py": (
        "from pkg.client import CLIENT\n\n\n"
        "def test_pool():\n    assert len(CLIENT.pool) == 2\n\n\n"
        "def test_pool_again():\n    assert CLIENT.pool[0] == 'connection'\n"
    ),
    # Kept by hand, the way click keeps a command's help option, built by a function
    # of another module.
    "pkg/options.py": "def help_option():\n    return ['--help']\n",
    "pkg/command.py": (
        "from pkg.options import help_option\n\n\nclass Command:\n"
        "    def __init__(self):\n        self._help = None\n        self._names = {}\n\n"
        "    def help(self):\n        if self._help is None:\n"
        "            self._help = help_option()\n        return self._help\n\n"
        "    def name(self, key):\n        if key not in self._names:\n"
        "            self._names[key] = key.upper()\n        return self._names[key]\n\n"
        "    def usage(self):\n        return 'usage'\n\n\nCOMMAND = Command()\n"
    ),
    "tests/test_command.py": (
        "from pkg.command import COMMAND\n\n\n"
        "def test_help():\n    assert COMMAND.help() == ['--help']\n\n\n"
        "def test_help_again():\n    assert COMMAND.help()[0] == '--help'\n\n\n"
        "def test_name():\n    assert COMMAND.name('a') == 'A'\n\n\n"
        "def test_name_again():\n    assert COMMAND.name('a') == 'A'\n\n\n"
        "def test_usage():\n    assert COMMAND.usage() == 'usage'\n"
    ),
}


@pytest.mark.parametrize(("target", "old", "new", "expected"), [
    # Run by test_load only: test_timeout gets the value it cached.
    ("pkg/settings.py", "'timeout': 5", "'timeout': 6",
     ["tests/test_a.py::test_load", "tests/test_a.py::test_timeout"]),
    # Not cached: the tests that ran the line.
    ("pkg/settings.py", "return 3", "return 4", ["tests/test_a.py::test_retries"]),
    # A property cached on an object the tests share.
    ("pkg/client.py", "* 2", "* 3",
     ["tests/test_b.py::test_pool", "tests/test_b.py::test_pool_again"]),
    # Stored on first use: whoever reads what was stored.
    ("pkg/command.py", "key.upper()", "key.lower()",
     ["tests/test_command.py::test_name", "tests/test_command.py::test_name_again"]),
    # A function the lazy initialisation calls runs for its first caller only too.
    ("pkg/options.py", "'--help'", "'-h'",
     ["tests/test_command.py::test_help", "tests/test_command.py::test_help_again"]),
])
def test_a_change_inside_a_cached_function_runs_every_test_that_calls_it(
    tmp_path: Path, target: str, old: str, new: str, expected: list[str],
) -> None:
    assert mapped_selection(tmp_path, CACHED, target, old, new) == expected


def mapped_selection(tmp_path: Path, files: dict[str, str], target: str, old: str,
                     new: str) -> list[str]:
    """Record the map of files' suite, then select for replacing old by new in target."""
    repo = write_repo(tmp_path, files)
    collect_coverage_map(repo)
    text = (repo / target).read_text()
    return affected_tests(analyse(repo, target), repo=repo, old=text,
                          new=text.replace(old, new))


CHILDREN = {
    "pkg/__init__.py": "",
    "pkg/greet.py": "GREETING = 'hello'\n\n\ndef greet(name):\n    return f'{GREETING} {name}'\n",
    "pkg/cli.py": (
        "import sys\n\nfrom pkg.greet import greet\nfrom pkg.shout import shout\n\n\n"
        "def main():\n    print(shout(greet(sys.argv[1])))\n\n\n"
        "if __name__ == '__main__':\n    main()\n"
    ),
    "pkg/shout.py": "def shout(text):\n    return text.upper()\n",
    # The command line runs in a child process: no test imports pkg.cli or pkg.greet.
    "tests/test_cli.py": (
        "import subprocess\nimport sys\n\n\ndef test_cli():\n"
        "    out = subprocess.run([sys.executable, '-m', 'pkg.cli', 'ann'],\n"
        "                         capture_output=True, text=True, check=True).stdout\n"
        "    assert out == 'HELLO ANN\\n'\n"
    ),
    "tests/test_shout.py": (
        "from pkg.shout import shout\n\n\ndef test_shout():\n    assert shout('a') == 'A'\n"
    ),
}


CLI, SHOUT = "tests/test_cli.py::test_cli", "tests/test_shout.py::test_shout"
CHILDREN["pkg/pool.py"] = (
    "import multiprocessing\n\n\ndef square(x):\n    return x * x\n\n\n"
    "def squares(xs):\n    with multiprocessing.get_context('fork').Pool(2) as pool:\n"
    "        return pool.map(square, xs)\n"
)
CHILDREN["tests/test_pool.py"] = (
    "from pkg.pool import squares\n\n\ndef test_squares():\n"
    "    assert squares([1, 2, 3]) == [1, 4, 9]\n"
)


@pytest.mark.parametrize(("target", "old", "new", "expected"), [
    # Only the child runs these: in a function, at import, in the __main__ block.
    ("pkg/greet.py", "return f'{GREETING} {name}'", "return f'{GREETING}, {name}'", [CLI]),
    ("pkg/greet.py", "GREETING = 'hello'", "GREETING = 'hi'", [CLI]),
    ("pkg/cli.py", "    main()", "    main()\n    main()", [CLI]),
    # Run here and in the child.
    ("pkg/shout.py", "text.upper()", "text.lower()", [CLI, SHOUT]),
    # A name nothing reads: the child imports the module afresh, so its test is the
    # one that a broken import fails.
    ("pkg/shout.py", "def shout(text):", "LOUD = True\n\n\ndef shout(text):", [CLI]),
    # Run only by the workers a process pool forks.
    ("pkg/pool.py", "return x * x", "return x + x", ["tests/test_pool.py::test_squares"]),
])
def test_a_change_to_code_a_test_runs_in_a_child_process_runs_that_test(
    tmp_path: Path, target: str, old: str, new: str, expected: list[str],
) -> None:
    repo = write_repo(tmp_path, CHILDREN)
    covered = collect_coverage_map(repo)
    assert covered.ran("pkg/greet.py") == [CLI]
    text = (repo / target).read_text()
    assert affected_tests(analyse(repo, target), repo=repo, old=text,
                          new=text.replace(old, new)) == expected


def test_a_child_given_an_environment_of_its_own_is_measured_too(tmp_path: Path) -> None:
    fresh = CHILDREN["tests/test_cli.py"].replace(
        "capture_output=True,", "env={'PATH': os.environ.get('PATH', '')}, capture_output=True,")
    files = {**CHILDREN, "tests/test_cli.py": "import os\n" + fresh}
    assert mapped_selection(tmp_path, files, "pkg/greet.py", "{GREETING} {name}",
                            "{GREETING}, {name}") == [CLI]


ENDINGS = {
    # A server a test starts and terminates: SIGTERM, which nothing in it handles.
    "pkg/serve.py": (
        "import sys\nimport time\n\nfrom pkg.greet import greet\n\n"
        "print(greet('server'), flush=True)\nwhile True:\n    time.sleep(1)\n"
    ),
    "tests/test_serve.py": (
        "import subprocess\nimport sys\n\n\ndef test_serve():\n"
        "    server = subprocess.Popen([sys.executable, '-m', 'pkg.serve'],\n"
        "                              stdout=subprocess.PIPE, text=True)\n"
        "    assert server.stdout.readline() == 'hello server\\n'\n"
        "    server.terminate()\n    assert server.wait() == -15\n"
    ),
    # A child that ends by os._exit, and a plain fork's child that does.
    "pkg/quick.py": (
        "import os\n\nfrom pkg.shout import shout\n\n"
        "print(shout('quick'), flush=True)\nos._exit(0)\n"
    ),
    "pkg/forks.py": (
        "import os\n\n\ndef double(x):\n    return 2 * x\n\n\ndef in_a_fork(x):\n"
        "    pid = os.fork()\n    if pid == 0:\n        os._exit(double(x))\n"
        "    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])\n"
    ),
    "tests/test_quick.py": (
        "import subprocess\nimport sys\n\nfrom pkg.forks import in_a_fork\n\n\n"
        "def test_quick():\n"
        "    out = subprocess.run([sys.executable, '-m', 'pkg.quick'], capture_output=True,\n"
        "                         text=True, check=True).stdout\n    assert out == 'QUICK\\n'\n\n\n"
        "def test_fork():\n    assert in_a_fork(3) == 6\n"
    ),
}


@pytest.mark.parametrize(("target", "old", "new", "expected"), [
    ("pkg/greet.py", "{GREETING} {name}", "{GREETING}, {name}",
     [CLI, "tests/test_serve.py::test_serve"]),
    ("pkg/shout.py", "text.upper()", "text.lower()",
     [CLI, "tests/test_quick.py::test_quick", SHOUT]),
    ("pkg/forks.py", "2 * x", "3 * x", ["tests/test_quick.py::test_fork"]),
])
def test_a_child_is_measured_however_it_ends_but_killed(
    tmp_path: Path, target: str, old: str, new: str, expected: list[str],
) -> None:
    assert mapped_selection(tmp_path, {**CHILDREN, **ENDINGS}, target, old, new) == expected


KEPT_POOL = {
    "pkg/__init__.py": "",
    # A pool made by the first caller and kept: its worker serves every later test.
    "pkg/cubes.py": (
        "import multiprocessing\n\n_POOL = None\n\n\ndef cube(x):\n    return x ** 3\n\n\n"
        "def cubes(xs):\n    global _POOL\n    if _POOL is None:\n"
        "        _POOL = multiprocessing.get_context('fork').Pool(1)\n"
        "    return _POOL.map(cube, xs)\n"
    ),
    "tests/test_cubes.py": (
        "from pkg.cubes import cubes\n\n\ndef test_first():\n    assert cubes([1]) == [1]\n\n\n"
        "def test_plain():\n    assert 2 ** 3 == 8\n\n\n"
        "def test_later():\n    assert cubes([2]) == [8]\n"
    ),
}


def test_a_worker_kept_across_tests_counts_for_every_test_it_outlived(tmp_path: Path) -> None:
    chosen = mapped_selection(tmp_path, KEPT_POOL, "pkg/cubes.py", "x ** 3", "x ** 2")
    assert {"tests/test_cubes.py::test_first", "tests/test_cubes.py::test_later"} <= set(chosen)


@pytest.mark.parametrize("flags", ["'-S', ", "'-X', 'utf8', '-ES', "])
def test_a_test_whose_python_child_cannot_be_measured_runs_for_any_change_to_code(
    tmp_path: Path, flags: str,
) -> None:
    blind = CHILDREN["tests/test_cli.py"].replace("'-m',", flags + "'-m',")
    repo = write_repo(tmp_path, {**CHILDREN, "tests/test_cli.py": blind})
    assert collect_coverage_map(repo).unmeasured == [0]  # test_cli ran first
    for target, old, new in [("pkg/greet.py", "{GREETING} {name}", "{GREETING}, {name}"),
                             ("pkg/pool.py", "x * x", "x + x")]:
        text = (repo / target).read_text()
        chosen = affected_tests(analyse(repo, target), repo=repo, old=text,
                                new=text.replace(old, new))
        assert {CLI, "tests/test_cli.py"} & set(chosen)  # the test, or its file whole
    text = (repo / "pkg/pool.py").read_text()
    assert affected_tests(analyse(repo, "pkg/pool.py"), repo=repo, old=text,
                          new=text.replace("x * x", "x * x  # squared")) == []


def test_a_child_process_is_measured_silently_and_keeps_its_own_sitecustomize(
    tmp_path: Path,
) -> None:
    import os
    import shutil
    import subprocess
    import sys

    import coverage

    from healloop.analysis import test_impact

    children, own = tmp_path / "children", tmp_path / "own"
    (children / "data").mkdir(parents=True)
    own.mkdir()
    shutil.copyfile(test_impact._CHILD_COVERAGE, children / "sitecustomize.py")
    (own / "sitecustomize.py").write_text("import builtins\nbuiltins.OWN = 'ran'\n")
    (tmp_path / "work.py").write_text("print(OWN)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(children), str(own)]),
           "HEALLOOP_COVERAGE_CONTEXT": "tests/test_x.py::test_x",
           "HEALLOOP_COVERAGE_CHILDREN": str(children),
           "HEALLOOP_COVERAGE_SOURCE": str(tmp_path)}
    done = subprocess.run([sys.executable, str(tmp_path / "work.py")], env=env,
                          capture_output=True, text=True, check=True)
    assert (done.stdout, done.stderr) == ("ran\n", "")
    [saved] = (children / "data").iterdir()
    data = coverage.CoverageData(basename=str(saved))
    data.read()
    assert data.contexts_by_lineno(str(tmp_path / "work.py")) == {1: ["tests/test_x.py::test_x"]}


def test_a_map_recorded_before_fixtures_were_told_apart_is_not_read(repo: Path) -> None:
    import json

    from healloop.analysis.test_impact import load_coverage_map, map_path

    collect_coverage_map(repo)
    covered, head = load_coverage_map(repo)
    assert covered is not None
    path = map_path(repo, head)
    data = json.loads(path.read_text())
    del data["version"]
    path.write_text(json.dumps(data))
    assert load_coverage_map(repo) == (None, head)
    radius = analyse(repo, "pkg/core.py")
    assert radius.test_source == "imports"
    assert any("an older healloop's" in note for note in radius.notes)


def test_a_file_with_no_line_run_at_import_cannot_say_which_lines_no_test_ran() -> None:
    from healloop.analysis.test_impact import CoverageMap

    # Imported before measuring began: its definitions have no record, only the
    # lines tests ran inside functions do.
    late = CoverageMap("c0ffee", ["t.py::test_a"], {"pkg/m.py": {2: [0]}})
    assert not late.imported_before_tests("pkg/m.py")
    assert not late.imported_before_tests("pkg/other.py")
    measured = CoverageMap("c0ffee", ["t.py::test_a"], {"pkg/m.py": {1: [-1], 2: [0]}})
    assert measured.imported_before_tests("pkg/m.py")
    assert measured.ids("pkg/m.py", {1, 2, 9}) == {-1, 0}


def test_impact_records_the_map_on_request_and_later_calls_use_it(
    repo: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json

    from typer.testing import CliRunner

    from healloop.main import app

    def radius(*flags: str) -> dict:
        result = CliRunner().invoke(app, ["impact", "pkg/core.py", "--repo", str(repo), *flags])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    assert radius()["tests"] == ["tests/test_core.py"]
    recorded = radius("--coverage")
    assert recorded["test_source"] == "coverage"
    assert recorded["tests"] == ["tests/test_core.py", "tests/test_plugins.py"]
    assert radius()["test_source"] == "coverage"

    from healloop.analysis import test_impact

    recordings = []
    record = test_impact.collect_coverage_map
    monkeypatch.setattr(test_impact, "collect_coverage_map",
                        lambda *a, **k: recordings.append(1) or record(*a, **k))
    radius("--coverage")
    assert recordings == []  # the map of this commit is stored: the suite runs not again
    (repo / "tests/test_core.py").write_text(
        (repo / "tests/test_core.py").read_text() + "\n\ndef test_more():\n    pass\n")
    radius("--coverage")
    assert recordings == [1]  # a test changed since: which test runs which line may too


def test_a_map_recorded_again_at_the_same_commit_is_what_the_next_analysis_reads(
    repo: Path,
) -> None:
    collect_coverage_map(repo, extra_args=["-k", "test_area"])
    assert analyse(repo, "pkg/core.py").test_functions == ["tests/test_core.py::test_area"]
    collect_coverage_map(repo)
    assert analyse(repo, "pkg/core.py").test_functions == [
        "tests/test_core.py::test_area", "tests/test_plugins.py::test_loads_core_by_name"]


def test_a_target_changed_since_the_map_was_recorded_runs_its_test_files_whole(
    repo: Path,
) -> None:
    collect_coverage_map(repo)
    # Uncommitted lines move the function: the map's line numbers no longer match.
    moved = '"""Areas."""\n\n\n' + (repo / "pkg/core.py").read_text()
    (repo / "pkg/core.py").write_text(moved)
    radius = analyse(repo, "pkg/core.py")
    changed = moved.replace("return w * h", "return w + h")
    assert affected_tests(radius, repo=repo, old=moved, new=changed) == [
        "tests/test_core.py", "tests/test_plugins.py"]


def graph_evaluations(repo: Path, files: dict[str, str], targets: list[str],
                      **request: object) -> list[Evaluation]:
    """Write files, record their coverage map, run the graph offline to approval."""
    from healloop.checkpoint import open_checkpointer
    from healloop.context import RunContext
    from healloop.graph import build_graph
    from healloop.state import Request

    write_repo(repo, files)
    collect_coverage_map(repo)
    # Beside the repository, not in it: the tree stays as the map's commit has it.
    with open_checkpointer(str(repo.parent / f"{repo.name}.sqlite"), repo) as saver:
        graph = build_graph(checkpointer=saver)
        config = {"configurable": {"thread_id": repo.name}}
        asked = Request(repo=str(repo), files=targets, **request)
        graph.invoke({"request": asked.dump()}, config, context=RunContext(engine="offline"))
        values = graph.get_state(config).values
    return [Evaluation.model_validate(e) for e in values["evaluations"]]


def test_evaluate_runs_only_the_tests_that_ran_the_changed_lines(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/core.py": (
            '"""Shapes."""\n\n\ndef area(w, h):\n    """Return the area."""\n'
            "    return w + h\n\n\ndef perimeter(w, h):\n"
            '    """Return the perimeter."""\n    return 2 * (w + h)\n'
        ),
        "tests/test_core.py": (
            "from pkg.core import area, perimeter\n\n\ndef test_area():\n"
            "    assert area(2, 3) == 6\n\n\ndef test_perimeter():\n"
            "    assert perimeter(2, 3) == 10\n"
        ),
        "tests/test_more.py": (
            "from pkg.core import perimeter\n\n\ndef test_square():\n"
            "    assert perimeter(1, 1) == 4\n"
        ),
    }
    evaluations = graph_evaluations(tmp_path, files, ["pkg/core.py"])
    picked = [e for e in evaluations if e.tests and e.tests.selected
              == ["tests/test_core.py::test_area"]]
    assert picked, [e.tests.selected for e in evaluations if e.tests]
    # The tests left out keep the review's results, so the score is a full run's.
    assert {r.nodeid for r in picked[0].tests.results} == {
        "tests/test_core.py::test_area", "tests/test_core.py::test_perimeter",
        "tests/test_more.py::test_square"}
    assert picked[0].tests.failing == set()
    assert max(e.score for e in picked) > 0.9


def test_changes_to_several_files_run_the_tests_that_ran_the_lines_of_any(repo: Path) -> None:
    collect_coverage_map(repo)
    core = (repo / "pkg/core.py").read_text()
    plugins = (repo / "pkg/plugins.py").read_text()
    changes = {
        "pkg/core.py": (core, core.replace("return w * h", "return h * w")),
        "pkg/plugins.py": (plugins, plugins.replace("(name)\n", "(name, None)\n")),
    }
    reaching = {"pkg/core.py": ["tests/test_core.py", "tests/test_plugins.py"],
                "pkg/plugins.py": ["tests/test_plugins.py"]}
    assert affected_by(repo, changes, reaching) == [
        "tests/test_core.py::test_area", "tests/test_plugins.py::test_loads_core_by_name",
        "tests/test_plugins.py::test_loads_os"]
    # A file the map never ran (data a test reads) runs the test files reaching it,
    # whole; when none is known to, nothing can be left out.
    data = {**changes, "pkg/sizes.json": ("[1]\n", "[2]\n")}
    assert affected_by(repo, data, {**reaching, "pkg/sizes.json": ["tests/test_core.py"]}) == [
        "tests/test_core.py", "tests/test_plugins.py::test_loads_core_by_name",
        "tests/test_plugins.py::test_loads_os"]
    assert affected_by(repo, data, reaching) is None


SHAPES = (
    '"""Shapes."""\n\n\ndef area(w, h):\n    """Return the area."""\n    return w * h\n\n\n'
    'def perimeter(w, h):\n    """Return the perimeter."""\n    return 2 * (w + h)\n'
)
UNITS = (
    '"""Units."""\n\n\ndef cm(m):\n    """Return metres in centimetres."""\n'
    "    return m * 100\n\n\n"
    'def km(m):\n    """Return metres in kilometres."""\n    return m / 1000\n'
)
TWO_FILES = {
    "pkg/__init__.py": "",
    "pkg/shapes.py": SHAPES,
    "pkg/units.py": UNITS,
    "tests/test_shapes.py": (
        "from pkg.shapes import area, perimeter\n\n\ndef test_area():\n"
        "    assert area(2, 3) == 6\n\n\ndef test_perimeter():\n"
        "    assert perimeter(2, 3) == 10\n"
    ),
    "tests/test_units.py": (
        "from pkg.units import cm, km\n\n\ndef test_cm():\n    assert cm(2) == 200\n\n\n"
        "def test_km():\n    assert km(3000) == 3\n"
    ),
}
EVERY_TEST = {"tests/test_shapes.py::test_area", "tests/test_shapes.py::test_perimeter",
              "tests/test_units.py::test_cm", "tests/test_units.py::test_km"}


def evaluated(repo: Path, units: dict[str, str]) -> dict[str, Evaluation]:
    """Evaluate candidates that change area's body and, as given, pkg/units.py."""
    from types import SimpleNamespace

    from healloop.context import RunContext
    from healloop.nodes.blast_radius import blast_radius
    from healloop.nodes.evaluate import evaluate
    from healloop.nodes.review import review
    from healloop.state import Candidate, FileChange, Request

    runtime = SimpleNamespace(context=RunContext(engine="offline"))
    state: dict = {"request": Request(repo=str(repo), files=["pkg/shapes.py", "pkg/units.py"]
                                      ).dump(), "iteration": 1}
    for target in ("pkg/shapes.py", "pkg/units.py"):
        task = {**state, "target": target}
        for update in (review(task, runtime), blast_radius(task)):
            for key, value in update.items():
                state[key] = {**state.get(key, {}), **value}
    area = SHAPES.replace("return w * h", "return h * w")
    state["candidates"] = [
        Candidate(id=cid, target="pkg/shapes.py", engine="test", iteration=1,
                  changes=[FileChange(path="pkg/shapes.py", content=area),
                           FileChange(path="pkg/units.py", content=content)]).dump()
        for cid, content in units.items()
    ]
    update = evaluate(state, runtime)
    return {e["candidate_id"]: Evaluation.model_validate(e) for e in update["evaluations"]}


def test_evaluate_runs_only_the_tests_that_ran_the_changed_lines_of_either_file(
    tmp_path: Path,
) -> None:
    repo = write_repo(tmp_path, TWO_FILES)
    collect_coverage_map(repo)
    scores = evaluated(repo, {
        "same": UNITS.replace("return m / 1000", "return m / 1e3"),
        "broken": UNITS.replace("return m * 100", "return m * 10"),
        "constant": UNITS.replace('"""Units."""\n', '"""Units."""\n\nCENTI = 100\n')
                         .replace("return m * 100", "return m * CENTI"),
        "at_import": UNITS.replace('"""Units."""\n',
                                   '"""Units."""\n\nimport sys\n\nsys.setrecursionlimit(2000)\n'),
    })
    same = scores["same"].tests
    assert same.selected == ["tests/test_shapes.py::test_area", "tests/test_units.py::test_km"]
    # The tests left out keep the review's results, so the score is a full run's.
    assert same.passed == EVERY_TEST
    assert scores["same"].passed_gates
    # A regression in the second file runs the test that ran its line, and fails it.
    broken = scores["broken"]
    assert broken.tests.selected == ["tests/test_shapes.py::test_area",
                                     "tests/test_units.py::test_cm"]
    assert broken.tests.failing == {"tests/test_units.py::test_cm"}
    assert not broken.passed_gates and broken.score == 0.0
    # A new constant binds a name no line read before: the tests of the line that
    # reads it now, and one test of the module, for an import the change may break.
    constant = scores["constant"].tests
    assert constant.selected == ["tests/test_shapes.py::test_area",
                                 "tests/test_units.py::test_cm"]
    # Code run at import for its effect: every test file reaching the file, whole.
    at_import = scores["at_import"].tests
    assert at_import.selected == ["tests/test_shapes.py::test_area", "tests/test_units.py"]
    assert at_import.passed == EVERY_TEST


def test_evaluate_runs_a_file_changed_since_the_map_was_recorded_with_its_test_files_whole(
    tmp_path: Path,
) -> None:
    repo = write_repo(tmp_path, TWO_FILES)
    collect_coverage_map(repo)
    # Uncommitted lines move km: the map's line numbers no longer match.
    moved = '"""Units."""\n\n\nMETRE = 1\n' + UNITS.removeprefix('"""Units."""\n')
    (repo / "pkg/units.py").write_text(moved)
    scores = evaluated(repo, {"km": moved.replace("return m / 1000", "return m / 1e3")})
    assert scores["km"].tests.selected == ["tests/test_shapes.py::test_area",
                                           "tests/test_units.py"]
    assert scores["km"].tests.passed == EVERY_TEST


def test_evaluate_with_another_targets_fix_alongside_runs_the_tests_of_either_fixs_lines(
    tmp_path: Path,
) -> None:
    # sizes imports core, so its candidates are measured with core's best alongside;
    # each file has an f-string without placeholders inside a function, for ruff to fix.
    files = {
        "pkg/__init__.py": "",
        "pkg/core.py": (
            '"""Shapes."""\n\n\ndef area(w, h):\n    """Return the area."""\n'
            "    return w * h\n\n\n"
            'def label(w, h):\n    """Return the label of a w by h room."""\n'
            '    return f"room " + f"{w}x{h}"\n'
        ),
        "pkg/sizes.py": (
            '"""Sizes."""\n\nfrom pkg.core import area, label\n\n\n'
            'def floor(w, h):\n    """Return the floor of a w by h room."""\n'
            "    return area(w, h)\n\n\n"
            'def tag(w, h):\n    """Return the tag of a w by h room."""\n'
            "    return label(w, h)\n\n\n"
            'def door():\n    """Return what a door says."""\n    return f"door"\n'
        ),
        "tests/test_sizes.py": (
            "from pkg.sizes import door, floor, tag\n\n\n"
            "def test_floor():\n    assert floor(2, 3) == 6\n\n\n"
            'def test_tag():\n    assert tag(2, 3) == "room 2x3"\n\n\n'
            'def test_door():\n    assert door() == "door"\n'
        ),
    }
    evaluations = graph_evaluations(tmp_path, files, ["pkg/core.py", "pkg/sizes.py"],
                                    iterations=1)
    # test_tag ran only the line core's fix alongside changes; test_floor ran neither.
    picked = [e for e in evaluations if e.target == "pkg/sizes.py" and e.tests
              and e.tests.selected == ["tests/test_sizes.py::test_door",
                                       "tests/test_sizes.py::test_tag"]]
    assert picked, [(e.target, e.tests.selected) for e in evaluations if e.tests]
    assert picked[0].tests.passed == {
        "tests/test_sizes.py::test_floor", "tests/test_sizes.py::test_tag",
        "tests/test_sizes.py::test_door"}
    assert picked[0].passed_gates


def test_a_symbol_tests_run_only_through_another_module_counts_as_tested(
    tmp_path: Path,
) -> None:
    repo = write_repo(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/geometry.py": "def area(w, h):\n    return w * h\n\n\ndef perimeter(w, h):\n"
                           "    return 2 * (w + h)\n",
        "pkg/shapes.py": "from pkg.geometry import area, perimeter\n\n\n"
                         "def square(side):\n    return area(side, side)\n",
        "tests/test_shapes.py": "from pkg.shapes import square\n\n\n"
                                "def test_square():\n    assert square(3) == 9\n",
    })
    # No test names geometry's functions: from imports, neither is tested.
    assert analyse(repo, "pkg/geometry.py").risk_parts["untested"] == 1.0
    collect_coverage_map(repo)
    # The map saw test_square run area's body, and no test run perimeter's.
    assert analyse(repo, "pkg/geometry.py").risk_parts["untested"] == 0.5


def test_a_case_named_by_a_path_is_mapped_by_the_id_every_copy_reports(tmp_path: Path) -> None:
    repo = write_repo(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/core.py": "def area(w, h):\n    return w * h\n",
        "tests/test_core.py": "import pytest\n\nfrom pkg.core import area\n\n\n"
                              "@pytest.mark.parametrize('path', [__file__])\n"
                              "def test_area(path):\n    assert area(2, 3) == 6\n",
    })
    # Recorded in one scratch copy, run in another: the id must not name the first.
    assert collect_coverage_map(repo).tests == [
        "tests/test_core.py::test_area[tests/test_core.py]"]


def test_impact_says_on_stderr_that_it_records_the_map_and_how_long_it_took(repo: Path) -> None:
    # On a large suite the recording runs for minutes: the user must see it is at work,
    # and stdout must stay the result alone (JSON others read).
    recorded = invoke("impact", "pkg/core.py", "--repo", repo, "--coverage")
    assert recorded.exit_code == 0, recorded.output
    starts, ends = recorded.stderr.splitlines()
    assert re.fullmatch(
        r"healloop: recording the coverage map of [0-9a-f]{10}: the whole test suite "
        r"\(2 test files\) runs once under coverage, slower than a plain test run; the map "
        r"is kept for this commit and reused while no tracked file changes", starts)
    assert re.fullmatch(
        r"healloop: recorded the coverage map of [0-9a-f]{10} in \d+\.\d s: 3 tests", ends)
    assert recorded.output.index(ends) < recorded.output.index(recorded.stdout)
    assert json.loads(recorded.stdout)["test_source"] == "coverage"

    reused = invoke("impact", "pkg/core.py", "--repo", repo, "--coverage")
    assert (reused.exit_code, reused.stderr, reused.stdout) == (0, "", recorded.stdout)

    (repo / "tests/test_core.py").write_text(
        (repo / "tests/test_core.py").read_text() + "\n\ndef test_more():\n    pass\n")
    again = invoke("impact", "pkg/core.py", "--repo", repo, "--coverage")
    starts, ends = again.stderr.splitlines()
    assert "map of" in starts and "again (1 tracked file changed since it was recorded)" in starts
    assert ends.endswith(": 4 tests")


def test_tests_a_killed_pytest_ran_are_recorded_again_and_a_hung_one_runs_for_any_change(
    repo: Path,
) -> None:
    from healloop.sandbox.limits import Limits

    (repo / "tests/test_core.py").write_text(
        "import time\n\nfrom pkg.core import area\n\n\ndef test_area():\n"
        "    assert area(2, 3) == 6\n\n\n"
        "def test_hangs_through_its_timeout():\n    while True:\n        try:\n"
        "            time.sleep(100)\n        except BaseException:  # as unittest's subTest\n"
        "            pass\n\n\ndef test_after():\n    assert True\n")
    git_commit(repo, "a test that swallows its timeout, so pytest is killed")
    covered = collect_coverage_map(repo, limits=Limits(test_timeout=1))
    assert "tests/test_core.py::test_area" in covered.ran("pkg/core.py")
    hung = covered.tests.index("tests/test_core.py::test_hangs_through_its_timeout")
    assert hung in covered.unmeasured
    radius = analyse(repo, "pkg/core.py")
    old = (repo / "pkg/core.py").read_text()
    chosen = affected_tests(radius, repo=repo, old=old, new=old.replace("w * h", "w + h"))
    assert {"tests/test_core.py::test_area",
            "tests/test_core.py::test_hangs_through_its_timeout"} <= set(chosen)
