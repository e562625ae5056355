"""Which tests reach a target, so evaluate can run those instead of the whole suite.

Two sources, because each misses what the other sees. Static selection follows
imports: a test module that imports the target, or a module that does, can break
when the target changes, and so can every test under a ``conftest.py`` on that chain.
Dynamic selection reads coverage contexts from a real run of the suite: the tests
that executed a line of the target, including through fixtures, plugins and dynamic
imports that no import statement shows (a fixture set up once for many tests counts
for every test that gets it, and a test's child Python processes are measured too).
The dynamic map costs a full instrumented run, so it is collected on request and
cached per commit under ``<repo>/.healloop/cache/``; without it the selection is
static, and says so.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import functools
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from healloop.analysis import history as git_history
from healloop.analysis import import_time, once
from healloop.analysis.cache import cache_dir
from healloop.analysis.import_time import ImportTimeEffect
from healloop.analysis.imports import ImportGraph, python_files
from healloop.analysis.pytest_config import SuiteConfig, suite_config
from healloop.state import BlastRadius

if TYPE_CHECKING:
    from healloop.sandbox.limits import Limits

_PLUGIN = Path(__file__).with_name("_coverage_plugin.py")
_CHILD_COVERAGE = Path(__file__).with_name("_child_coverage.py")


@dataclass
class SelectedTests:
    """The tests that reach a target and how they were found."""

    files: list[str]
    functions: list[str]
    notes: list[str] = field(default_factory=list)
    source: Literal["imports", "coverage"] = "imports"
    exercised: set[str] = field(default_factory=set)
    """Top-level functions and classes of the target some test ran (coverage only)."""


def static_tests(
    graph: ImportGraph, target: str, dependents: dict[str, int]
) -> tuple[list[str], list[str]]:
    """Return (test files, test function ids) that reach target through imports.

    Test functions are listed for the test modules that use the target directly.
    With ``--doctest-modules`` in the suite's options, the modules of the chain whose
    docstrings hold examples are test files too: the target's own first.

    Args:
        graph: The repository's import graph.
        target: Repo-relative path of the target.
        dependents: Files importing the target, directly or not, with their depth.

    """
    chain = {target, *dependents}
    chain |= _through_packages(graph, chain)
    files = {rel for rel in chain if graph.is_test(rel) or graph.has_doctests(rel)}
    for rel in chain:
        if rel.rsplit("/", 1)[-1] == "conftest.py":
            folder = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
            files |= {f for f in graph.files if f.startswith(folder) and graph.is_test(f)}
    # Test functions are resolved in the tests that import the target itself: reading
    # every test module on longer chains would cost a full parse of most suites.
    functions = []
    for rel in sorted(f for f in files if dependents.get(f) == 1 or f == target):
        functions.extend(graph.test_functions(rel, {graph.files[target].module}))
    return sorted(files), functions


def _through_packages(graph: ImportGraph, chain: set[str]) -> set[str]:
    """Return the files that run a package ``__init__`` of chain by importing inside it.

    ``from pkg.sub import name`` runs ``pkg/__init__.py`` first, so a test that
    imports only a submodule still breaks when the package's own code does, or the
    code the ``__init__`` imports (``requests/__init__.py`` imports ``utils``, which
    imports ``certs``); their importers, directly or not, run it too.
    """
    inside = tuple(graph.files[rel].module + "." for rel in chain
                   if rel.rsplit("/", 1)[-1] == "__init__.py" and rel in graph.files)
    if not inside:
        return set()
    seeds = {f for module, files in graph.importers().items() if module.startswith(inside)
             for f in files}
    return set(graph.importing(seeds)) - chain


# ---------------------------------------------------------------------------
# Dynamic: coverage contexts


MAP_VERSION = 6
"""What a stored map records; an older map is recorded again, not read.

2: what a fixture wider than a test runs while set up counts for every test using it.
3: what tests' child Python processes ran.
4: children a test gives an environment of its own, children that end by
   ``os._exit`` or an unhandled SIGTERM, and workers kept across tests are measured
   too; the tests whose Python children cannot be are listed.
5: a parametrized case built from a path has its id without the copy's path, as the
   sandbox reports it.
"""


def map_path(repo: Path, head: str) -> Path:
    """Return where the coverage map recorded at head is kept (creating nothing)."""
    return repo / ".healloop" / "cache" / f"coverage-{head}.json"


@dataclass
class CoverageMap:
    """Which test ran which line of which file, recorded at one commit."""

    head: str
    tests: list[str]
    """Node ids; lines refer to them by index."""
    lines: dict[str, dict[int, list[int]]]
    """File -> line -> indices of the tests that ran it (-1: at import time)."""
    outside: dict[str, dict[int, list[str]]] = field(default_factory=dict)
    """File -> line run at import time while pytest collected test files -> those test
    files ("": also other import-time code, such as a conftest's)."""
    first_imports: dict[str, list[str]] = field(default_factory=dict)
    """Test file -> the files its collection imported first (itself included)."""
    children: dict[str, dict[int, list[int]]] = field(default_factory=dict)
    """File -> line -> indices of the tests whose child Python processes ran it."""
    unmeasured: list[int] = field(default_factory=list)
    """Indices of the tests that started a Python child no measuring reaches (``-S``,
    ``-I``, ``-E``): what it ran is unknown, so any change to code runs them."""

    def ran(self, path: str) -> list[str]:
        """Return the node ids of the tests that ran any line of path, or whose children did."""
        ids = {i for tests in self.lines.get(path, {}).values() for i in tests if i >= 0}
        ids |= self.imported_by_children(path)
        return sorted(self.tests[i] for i in ids)

    def imported_by_children(self, path: str) -> set[int]:
        """Return the tests whose child processes ran path (one started afresh imports it)."""
        return {i for tests in self.children.get(path, {}).values() for i in tests}

    def imported_before_tests(self, path: str) -> bool:
        """Return whether the map saw path's import, outside any test.

        A module imported before measuring began, or first inside a test, shows its
        top level as run by no test or by that one test only: the map cannot tell
        which of its lines run at import, and a line it shows as run by no test may
        be one.
        """
        return any(-1 in tests for tests in self.lines.get(path, {}).values())

    def ids(self, path: str, lines: range | set[int]) -> set[int]:
        """Return the indices of the tests that ran any of these lines (-1: at import)."""
        return _tests_at(self.lines, path, lines)

    def children_ids(self, path: str, lines: range | set[int]) -> set[int]:
        """Return the indices of the tests whose child processes ran any of these lines."""
        return _tests_at(self.children, path, lines)

    def collected_by(self, path: str, line: int) -> list[str]:
        """Return the test files whose collection alone ran line at import time.

        Empty when other import-time code ran it too.
        """
        files = self.outside.get(path, {}).get(line, [])
        return [] if "" in files else files

    def files_seen(self) -> set[str]:
        """Return the test files the map knows."""
        return {t.split("::", 1)[0] for t in self.tests}


def _tests_at(per_file: dict[str, dict[int, list[int]]], path: str,
              lines: range | set[int]) -> set[int]:
    recorded = per_file.get(path, {})
    return {i for line in lines for i in recorded.get(line, ())}


def load_coverage_map(repo: Path) -> tuple[CoverageMap | None, str]:
    """Return the coverage map recorded at the current commit (or None), and HEAD."""
    head, _ = git_history.git_state(repo)
    if head is None:
        return None, ""
    path = map_path(repo, head)
    try:
        stat = path.stat()
    except OSError:
        return None, head
    return _read_map(str(path), stat.st_mtime_ns, stat.st_size), head


@functools.lru_cache(maxsize=4)
def _read_map(path: str, mtime_ns: int, size: int) -> CoverageMap | None:
    """Parse a stored map once per version of its file.

    Review, blast radius and every evaluated candidate read the same map, and a
    suite's map runs to megabytes.
    """
    try:
        return _parsed(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, KeyError, UnicodeDecodeError, ValueError):
        return None


def _parsed(data: dict) -> CoverageMap:
    if data.get("version") != MAP_VERSION:
        raise ValueError(f"a coverage map of version {data.get('version', 1)}")
    return CoverageMap(data["head"], data["tests"], _by_line(data["files"]),
                       _by_line(data["outside"]), data["first_imports"],
                       _by_line(data["children"]), data["unmeasured"])


def _by_line(per_file: dict[str, dict[str, list]]) -> dict[str, dict[int, list]]:
    """Return per file and line what JSON keeps under line numbers written as text."""
    return {f: {int(n): v for n, v in per_line.items()} for f, per_line in per_file.items()}


def collect_coverage_map(repo: Path, *, limits: Limits | None = None,
                         extra_args: list[str] | None = None) -> CoverageMap:
    """Run the whole suite once under coverage and cache which tests ran which lines.

    The run happens in a scratch copy; the map is stored per commit under
    ``<repo>/.healloop/cache/``.

    Raises:
        InputError: repo is not a git repository with commits (no commit to key on),
            or the run recorded nothing (coverage missing from its interpreter).

    """
    from healloop.errors import InputError
    from healloop.sandbox.pytest_run import outside_copy, run_tests
    from healloop.sandbox.workspace import Workspace

    repo = repo.resolve()
    head, _ = git_history.git_state(repo)
    if head is None:
        raise InputError(f"{repo} has no git commit to key a coverage map on")
    with Workspace(repo) as workspace:
        shutil.copyfile(_PLUGIN, workspace.path / "_healloop_coverage_plugin.py")
        children = workspace.path.parent / "healloop-children"
        children.mkdir()
        shutil.copyfile(_CHILD_COVERAGE, children / "sitecustomize.py")
        args = ["-p", "_healloop_coverage_plugin", *(extra_args or [])]
        limits = slower(limits)
        run = run_tests(workspace, None, limits=limits, extra_args=args)

        def recorded() -> tuple[dict, set[str]]:
            records = sorted(workspace.path.parent.glob("healloop-coverage-*.json"))
            if not records:
                raise InputError(
                    "the test run recorded no coverage (is `coverage` installed in the "
                    f"repository's interpreter?): {' '.join(run.errors)[:300]}")
            raw = _merged([json.loads(r.read_text(encoding="utf-8")) for r in records])
            # As the sandbox plugin reports them: a case's id without the copy's own path.
            raw["tests"] = [outside_copy(t, workspace.path) if "[" in t else t
                            for t in raw["tests"]]
            return raw, set(raw["tests"])

        raw, known = recorded()
        # A pytest killed for a test that ignored its timeout kept no record of the
        # tests it ran before: they run again, as the sandbox restarted the rest.
        lost = [r.nodeid for r in run.results if r.nodeid not in known and r.outcome != "timeout"]
        if lost:
            run_tests(workspace, lost, limits=limits, extra_args=args)
            raw, known = recorded()
        # What no record measured runs for any change, as a child no one can measure.
        for nodeid in dict.fromkeys(r.nodeid for r in run.results if r.nodeid not in known):
            raw["unmeasured"].append(len(raw["tests"]))
            raw["tests"].append(nodeid)
    prefix = str(workspace.path) + "/"
    tests = raw["tests"]
    files, outside, children = ({
        path[len(prefix):]: per_line for path, per_line in raw[key].items()
        if path.startswith(prefix) and not path.endswith("_healloop_coverage_plugin.py")
    } for key in ("files", "outside", "children"))
    data = {"version": MAP_VERSION, "head": head, "tests": tests, "files": files,
            "outside": outside, "first_imports": raw["first_imports"], "children": children,
            "unmeasured": raw["unmeasured"]}
    cache_dir(repo)
    map_path(repo, head).write_text(json.dumps(data), encoding="utf-8")
    return _parsed(data)


COVERAGE_SLOWDOWN = 3
"""How many times longer a test may take when it is recorded: tracing every line with
a context per test made a test of more-itertools 3.5 times slower."""


def slower(limits: Limits | None) -> Limits:
    """Return the limits of a run under coverage: each test given more time."""
    from healloop.sandbox.limits import Limits

    limits = limits or Limits()
    return dataclasses.replace(limits, test_timeout=limits.test_timeout * COVERAGE_SLOWDOWN)


def _merged(records: list[dict]) -> dict:
    """Return the records of the pytest processes of one recording as one record.

    Each numbers its tests from 0; the merged record numbers them in the order they ran.
    """
    tests: dict[str, int] = {}
    lines: dict[str, dict[str, dict[str, set]]] = {"files": {}, "children": {}, "outside": {}}
    first_imports: dict[str, list[str]] = {}
    unmeasured: set[int] = set()
    for record in records:
        index = [tests.setdefault(t, len(tests)) for t in record["tests"]]
        for key in ("files", "children", "outside"):
            for path, per_line in record[key].items():
                into = lines[key].setdefault(path, {})
                for line, found in per_line.items():
                    # Test indices, but for 'outside', the test files whose collection ran it.
                    into.setdefault(line, set()).update(
                        found if key == "outside" else (i if i < 0 else index[i] for i in found))
        for test_file, modules in record["first_imports"].items():
            known = first_imports.setdefault(test_file, [])
            known += [m for m in modules if m not in known]
        unmeasured.update(index[i] for i in record["unmeasured"])
    out: dict = {key: {path: {line: sorted(found) for line, found in per_line.items()}
                       for path, per_line in per_file.items()}
                 for key, per_file in lines.items()}
    return {**out, "tests": sorted(tests, key=tests.__getitem__),
            "first_imports": first_imports, "unmeasured": sorted(unmeasured)}


def ensure_coverage_map(repo: Path, *, limits: object | None = None,
                        progress: Callable[[str], None] | None = None) -> CoverageMap:
    """Return the coverage map of HEAD, recording it unless a current one is stored.

    A stored map is reused while the working tree is HEAD's: a changed tracked file
    (a test, a conftest, the code) may change which test runs which line. Recording
    runs the whole suite under coverage, minutes on a large one and silent until it
    ends: progress, when given, hears what is about to happen before the run and how
    long it took after it, so that a user can tell a long run from a hung one.
    """
    coverage, head = load_coverage_map(repo)
    changed = _changed_since_head(repo) if head else frozenset()
    if coverage is not None and not changed:
        return coverage
    if progress is None or not head:
        return collect_coverage_map(repo, limits=limits)
    config = suite_config(repo)
    files = sum(config.in_suite(f) for f in python_files(repo))
    why = (f" again ({_count(len(changed), 'tracked file')} changed since it was recorded)"
           if coverage is not None else "")
    progress(f"recording the coverage map of {head[:10]}{why}: the whole test suite "
             f"({_count(files, 'test file')}) runs once under coverage, slower than a plain "
             "test run; the map is kept for this commit and reused while no tracked file "
             "changes")
    started = time.monotonic()
    recorded = collect_coverage_map(repo, limits=limits)
    progress(f"recorded the coverage map of {head[:10]} in "
             f"{_duration(time.monotonic() - started)}: {_count(len(recorded.tests), 'test')}")
    return recorded


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" + ("" if n == 1 else "s")


def _duration(seconds: float) -> str:
    """Say how long something took: 4.2 s, 5 min 27 s."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def _changed_since_head(repo: Path) -> frozenset[str]:
    """Return the tracked files the working tree changes since HEAD (a rename's new path)."""
    status = git_history.git(repo, "status", "--porcelain", "--untracked-files=no",
                             check=False)
    return frozenset(line[3:].split(" -> ")[-1] for line in status.splitlines())


NO_TESTS = "no test reaches"
"""How the note begins that says a target's candidates will be measured without tests."""


def select_tests(repo: Path, graph: ImportGraph, target: str, dependents: dict[str, int]
                 ) -> SelectedTests:
    """Return the tests reaching target: static, plus dynamic when a map exists for HEAD."""
    selection = _select(repo, graph, target, dependents)
    if not selection.files:
        suite = sum(1 for rel in graph.files if graph.is_test(rel)
                    and graph.suite.contains(rel))
        if suite:
            # Said, not only counted: a candidate measured without tests may break
            # what the suite checks through a way no import shows.
            selection.notes.append(
                f"{NO_TESTS} {target} (the suite has {suite} test file(s)): its "
                "candidates are measured without tests")
    return selection


def _select(repo: Path, graph: ImportGraph, target: str, dependents: dict[str, int]
            ) -> SelectedTests:
    files, functions = static_tests(graph, target, dependents)
    selection = SelectedTests(files, functions)
    coverage, head = load_coverage_map(repo)
    if coverage is None:
        why = "no git commit" if not head else f"no coverage map for {head[:10]}"
        if head and map_path(repo, head).exists():
            why = (f"the coverage map for {head[:10]} is an older healloop's or unreadable: "
                   "`healloop impact --coverage` records it again")
        selection.notes.append(f"tests selected from imports only ({why})")
        return _in_suite(graph.suite, selection)
    ran = coverage.ran(target)
    dynamic_files = {nodeid.split("::", 1)[0] for nodeid in ran}
    added = sorted(dynamic_files - set(files))
    mapped = coverage.files_seen()
    # Test files the map has never seen (new since it was recorded) run whole.
    unmapped = sorted(f for f in files if f not in mapped)
    # Tests whose Python children no measuring reaches may have run anything.
    blind = [coverage.tests[i] for i in coverage.unmeasured]
    selection.files = sorted(set(files) | dynamic_files | {t.split("::", 1)[0] for t in blind})
    # Imports name a test function; the map names each parametrized case of it, and
    # knows which of them ran the target: those stand for the function.
    cases = {nodeid.split("[", 1)[0] for nodeid in ran if nodeid.endswith("]")}
    static = {f for f in functions if f not in cases}
    selection.functions = sorted(static | set(ran) | set(unmapped) | set(blind))
    selection.source = "coverage"
    selection.exercised = exercised(coverage, repo, target)
    others = len(selection.functions) - len(set(ran))
    selection.notes.append(
        f"coverage map of {head[:10]}: {len(ran)} test(s) ran {target}"
        + (f", {others} more selected from imports or run for any change" if others else "")
        + (f"; found beyond imports: {', '.join(added[:5])}" if added else "")
    )
    if blind:
        selection.notes.append(
            f"{len(blind)} test(s) start a Python child that cannot be measured (-S, -I, "
            f"-E) and run for any change: {', '.join(blind[:3])}")
    return _in_suite(graph.suite, selection)


def _in_suite(config: SuiteConfig, selection: SelectedTests) -> SelectedTests:
    """Leave out the test files the repository's pytest configuration does not collect.

    pytest collects a file it is given whatever ``testpaths`` says, so a test module
    outside the suite (an example project's tests) would run, and its conftest may
    not even import: it is not the repository's test suite.
    """
    outside = [f for f in selection.files if not config.contains(f)]
    if not outside:
        return selection
    kept = set(selection.files) - set(outside)
    selection.files = [f for f in selection.files if f in kept]
    selection.functions = [t for t in selection.functions if t.split("::", 1)[0] in kept]
    selection.notes.append(
        f"left out {len(outside)} test file(s) outside the suite ({config.describe()}): "
        + ", ".join(outside[:3]) + (", ..." if len(outside) > 3 else ""))
    return selection


def exercised(coverage: CoverageMap, repo: Path, path: str) -> set[str]:
    """Return the top-level functions and classes of path whose bodies some test ran.

    A test exercises a function it never names when it goes through another module;
    only the map sees that. Nothing when path differs from the map's commit (its
    lines are not the map's), or does not parse.
    """
    try:
        text = (repo / path).read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return set()
    if not _as_committed(repo, path, text):
        return set()
    inside = body_lines(tree)
    found = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            lines = inside & set(range(node.lineno, (node.end_lineno or node.lineno) + 1))
            if (coverage.ids(path, lines) - {-1}) or coverage.children_ids(path, lines):
                found.add(node.name)
    return found


def changed_lines(old: str, new: str, *, insertions: bool = True) -> set[int]:
    """Return the lines of old that new changes or deletes, or next to which it inserts.

    Without insertions, only the lines new changes or deletes.
    """
    out: set[int] = set()
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(),
                                      autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:
            out.update(range(i1 + 1, i2 + 1))
        elif insertions:  # between lines i1 and i1 + 1 (1-based)
            out.update({i1, i1 + 1} - {0})
    return out


def body_lines(tree: ast.Module) -> set[int]:
    """Return the lines that never run at import.

    Function bodies, and the body of a module's ``if __name__ == "__main__":`` block.
    """
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno:
            lines.update(range(node.body[0].lineno, node.end_lineno + 1))
    for stmt in tree.body:
        lines.update(import_time.main_body(stmt))
    return lines


def _as_committed(repo: Path, path: str, content: str) -> bool:
    """Return whether content is path as HEAD has it (the coverage map's lines)."""
    committed = git_history.git(repo, "show", f"HEAD:{path}", check=False)
    return committed.replace("\r\n", "\n") == content.replace("\r\n", "\n")


def line_tests(coverage: CoverageMap, repo: Path, path: str, old: str, new: str,
               reaching: list[str] | None = None) -> list[str] | None:
    """Return the tests that ran the lines of path that new changes; None if lines cannot tell.

    A change inside a function body runs the tests that ran its lines. A change to
    code run at import (a constant, an import, a signature) runs before any test, in
    whichever imported first, so it runs the tests that ran a line reading a name it
    binds, and one test of a file reaching path (``reaching``), since the change may
    break the import itself (``import_time``); None when such code does more than
    bind names. The map must know when path's lines ran
    (``CoverageMap.imported_before_tests``). And the map's line numbers are those of
    the commit it was recorded at.

    A test whose child Python process ran path imported it afresh there: it runs when
    the child ran a changed line, or when the change is to code run at import.
    """
    if not _as_committed(repo, path, old):
        return None
    if not coverage.lines.get(path) and path in coverage.children:  # no line ran here
        return _run_by_children(coverage, path, old, new)
    if not coverage.imported_before_tests(path):
        return None
    try:
        return _reached(coverage, repo, path, old, new, reaching or [])
    except ImportTimeEffect:
        return None


def _run_by_children(coverage: CoverageMap, path: str, old: str, new: str
                     ) -> list[str] | None:
    """Return the tests to run for a change to a file that only child processes ran."""
    try:
        before, after = _trees(path, old, new)
    except ImportTimeEffect:
        return None
    if ast.dump(before) == ast.dump(after):
        return []
    lines = changed_lines(old, new)
    if lines <= body_lines(before):
        ids = coverage.children_ids(path, lines)
    else:
        ids = coverage.imported_by_children(path)
    return sorted(coverage.tests[i] for i in ids)


def _trees(path: str, old: str, new: str) -> tuple[ast.Module, ast.Module]:
    try:
        return ast.parse(old), ast.parse(new)
    except (SyntaxError, ValueError) as exc:
        raise ImportTimeEffect(f"{path} does not parse") from exc


def _reached(coverage: CoverageMap, repo: Path, path: str, old: str, new: str,
             reaching: list[str]) -> list[str]:
    before, after = _trees(path, old, new)
    if ast.dump(before) == ast.dump(after):
        return []  # comments, blank lines, layout: the same code
    ids: set[int] = set()
    names: set[str] = set()
    whole: set[str] = set()
    measured = functools.cache(lambda: _measured(coverage, repo, path, old))
    # Statements either version changes; the one next to an insertion did not change.
    for tree, lines, recorded in ((before, changed_lines(old, new, insertions=False), True),
                                  (after, changed_lines(new, old, insertions=False), False)):
        for where in import_time.changed_sites(tree, lines):
            if where.kind == "body":  # by line, below: the old version's are the map's
                continue
            classes = where.classes + ([where.stmt] if where.kind == "class" else [])
            if classes:
                import_time.check_subclass_hooks(classes, tree, measured()[0])
            ids |= coverage.imported_by_children(path)
            names |= where.binds()
            if recorded:
                ran = coverage.ids(path, where.span())
                if ran and -1 not in ran:
                    raise ImportTimeEffect(f"{path} was imported inside a test")
                ids |= coverage.ids(path, where.body()) - {-1}
    in_bodies = changed_lines(old, new) & body_lines(before)
    for line in in_bodies:
        ran = coverage.ids(path, range(line, line + 1))
        if -1 in ran:  # a parameter built by calling it, or code run at import
            whole |= import_time.collected_only(coverage.collected_by(path, line),
                                                coverage.first_imports, measured()[0],
                                                f"{path}:{line}")
        ids |= (ran - {-1}) | coverage.children_ids(path, {line})
    # Once-only code the lines are in, or that calls their functions, keeps what they
    # made for callers that run none of them.
    keeps = once.kept(before, in_bodies)
    callers = {once.called_as(w) for line in in_bodies
               if (w := import_time.site(before.body, line)) is not None}
    for name in sorted(n for n in callers if n):
        keeps |= once.kept_by_callers(name, measured()[0])
    names |= keeps.functions
    if keeps.stored:
        ids |= once.readers(keeps.stored, *measured()[:2])
    chosen = {coverage.tests[i] for i in ids} | whole
    if names:
        reach = import_time.readers(names, *measured(), test_files=coverage.files_seen())
        chosen |= {coverage.tests[i] for i in reach.tests} | reach.files
        chosen.add(_canary(coverage, path, reaching))
    return sorted(chosen)


def _canary(coverage: CoverageMap, path: str, reaching: list[str]) -> str:
    """Return one test that imports path: a change at its top level may break the import.

    A test of a file reaching path through imports, which pytest imports to collect
    it, else one that ran a line of path.
    """
    for test_file in reaching:
        mapped = [t for t in coverage.tests if t.split("::", 1)[0] == test_file]
        if mapped:
            return min(mapped)  # by node id: the same test whatever order the suite ran in
    ran = coverage.ran(path)
    if ran:
        return ran[0]
    if reaching:
        return reaching[0]
    raise ImportTimeEffect(f"no test is known to import {path}")


def _measured(coverage: CoverageMap, repo: Path, path: str, old: str
              ) -> tuple[dict[str, str], import_time.Ran, frozenset[str]]:
    """Return the measured files' texts, a reader of the map, and the files changed since."""
    texts = {}
    for rel in coverage.lines:
        if rel == path:
            texts[rel] = old
            continue
        try:
            stat = (repo / rel).stat()
            texts[rel] = _text(str(repo / rel), stat.st_mtime_ns, stat.st_size)
        except (OSError, UnicodeDecodeError):
            continue
    return texts, coverage.ids, _changed_since_head(repo) - {path}


@functools.lru_cache(maxsize=4096)
def _text(path: str, mtime_ns: int, size: int) -> str:
    """Read a measured file once per version: every candidate of a run reads them all."""
    return Path(path).read_text(encoding="utf-8")


def affected_by(repo: Path, changes: dict[str, tuple[str, str]],
                reaching: dict[str, list[str]]) -> list[str] | None:
    """Return what to run to test changes to several files: each file's tests, together.

    A file adds the tests that ran its changed lines (``line_tests``), and the test
    files reaching it that the map has not seen (added since it was recorded), whole;
    when its lines cannot tell, every test file reaching it, whole: import-time code
    runs before any test and sets what every later test sees, through whichever module
    reads it, so no test's coverage shows who depends on it; and the tests whose child
    processes imported it. The tests whose Python children cannot be measured run for
    any change to code.

    Args:
        repo: The repository, at the commit whose coverage map is read.
        changes: Per changed file, its content before and after the change.
        reaching: Per changed file, the test files that reach it (``select_tests``).

    Returns:
        Node ids and whole test files, or None to run every test: there is no map
        for HEAD, or a file whose lines cannot tell has no test file known to reach it.

    """
    coverage, _ = load_coverage_map(repo)
    if coverage is None:
        return None
    seen = coverage.files_seen()
    chosen: list[str] = []
    for path, (old, new) in changes.items():
        files = reaching.get(path, [])
        lines = line_tests(coverage, repo, path, old, new, files)
        if lines is None:
            if not files:
                return None
            spawned = coverage.imported_by_children(path)  # no import statement shows them
            chosen += [*files, *(coverage.tests[i] for i in sorted(spawned))]
        else:
            chosen += [*lines, *(f for f in files if f not in seen)]
        if coverage.unmeasured and (lines is None or lines or _code_changed(old, new)):
            chosen += [coverage.tests[i] for i in coverage.unmeasured]
    return sorted(runnable(chosen))


def _code_changed(old: str, new: str) -> bool:
    """Return whether two versions of a file differ in more than comments and layout."""
    try:
        return ast.dump(ast.parse(old)) != ast.dump(ast.parse(new))
    except (SyntaxError, ValueError):
        return True


def runnable(tests: list[str]) -> list[str]:
    """Return tests once each, without the node ids of test files that run whole.

    pytest given a file and a node id in it runs that test twice.
    """
    whole = {t for t in tests if "::" not in t}
    return list(dict.fromkeys(t for t in tests if t in whole or t.split("::", 1)[0] not in whole))


def affected_tests(radius: BlastRadius, *, repo: Path | None = None,
                   old: str | None = None, new: str | None = None) -> list[str]:
    """Return what to run to test a change to the radius' target: node ids or files.

    With a coverage map and the change itself (repo, old and new content), the tests
    that ran the changed lines (``affected_by``); with a map only, the tests that ran
    the target; from imports alone, every test file reaching the target, whole, since
    a test may exercise the target through modules in between. Test files the map has
    not seen (added since it was recorded) always run whole, and so does every test
    file that reaches the target when the change runs at import time, the target
    differs from the commit the map was recorded at, or the map has no line of it.
    """
    if radius.test_source != "coverage":
        return list(radius.tests)
    if repo is not None and old is not None and new is not None:
        chosen = affected_by(repo, {radius.target: (old, new)}, {radius.target: radius.tests})
        return list(radius.tests) if chosen is None else chosen
    return list(radius.test_functions)
