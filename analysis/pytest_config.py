"""The repository's own pytest configuration: which test files make up its suite.

Run without arguments, pytest collects only under ``testpaths`` and never descends
into ``norecursedirs`` or paths ``addopts`` ``--ignore``s; given a file, it collects
that file whatever the configuration says. healloop hands pytest the files it
selects, so it applies the configuration itself: a test module the suite leaves out
(an example project's tests, say) is not the repository's test suite, and running it
may not even work (its conftest imports a package nobody installed).

The configuration is read from the repository root the way pytest picks its file:
the first of ``pytest.ini``, ``.pytest.ini``, ``pyproject.toml`` (``[tool.pytest]``
or ``[tool.pytest.ini_options]``), ``tox.ini`` (``[pytest]``) and ``setup.cfg``
(``[tool:pytest]``) that configures pytest. Without one, every test file counts.
"""

from __future__ import annotations

import configparser
import fnmatch
import glob
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path

_DEFAULT_NORECURSE = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv",
                      "{arch}")
PYTHON_FILES = ("test_*.py", "*_test.py")
"""pytest's default ``python_files``: the names of test modules."""
_INI_SECTIONS = (("pytest.ini", "pytest"), (".pytest.ini", "pytest"), ("pyproject.toml", ""),
                 ("tox.ini", "pytest"), ("setup.cfg", "tool:pytest"))


@dataclass(frozen=True)
class SuiteConfig:
    """Where pytest looks for the tests of a repository, from its configuration."""

    source: str = ""
    """The file that configures pytest, relative to the repository; '' for none."""
    testpaths: tuple[str, ...] = ()
    """Folders or files the suite is collected from (globs expanded); () for anywhere."""
    norecursedirs: tuple[str, ...] = _DEFAULT_NORECURSE
    """Patterns of folders pytest does not descend into."""
    ignore: tuple[str, ...] = ()
    """Paths addopts ``--ignore``s."""
    ignore_glob: tuple[str, ...] = ()
    """Patterns addopts ``--ignore-glob``s."""
    python_files: tuple[str, ...] = PYTHON_FILES
    """Patterns of the files that are test modules."""
    doctest_modules: bool = False
    """addopts says ``--doctest-modules``: the examples in every module's docstrings
    that pytest collects are tests too."""
    addopts: tuple[str, ...] = ()
    """The options the configuration adds to every pytest command line, as words."""

    def is_test(self, rel: str) -> bool:
        """Return whether the file rel is named as a test module (wherever it is)."""
        return is_test_module(rel, self.python_files)

    def contains(self, rel: str) -> bool:
        """Return whether pytest run without arguments would collect the file rel."""
        if any(rel == p or rel.startswith(p.rstrip("/") + "/") for p in self.ignore):
            return False
        if any(fnmatch.fnmatch(rel, p) for p in self.ignore_glob):
            return False
        roots = [p for p in self.testpaths if rel == p or rel.startswith(p.rstrip("/") + "/")]
        if self.testpaths and not roots:
            return False
        root = max(roots, key=len) if roots else ""
        below = rel[len(root):].strip("/").split("/")[:-1]
        prefix = root.rstrip("/")
        for folder in below:
            prefix = f"{prefix}/{folder}" if prefix else folder
            if any(_matches(pattern, prefix) for pattern in self.norecursedirs):
                return False
        return True

    def in_suite(self, rel: str) -> bool:
        """Return whether rel is one of the suite's test modules: named as one, collected."""
        return self.is_test(rel) and self.contains(rel)

    def describe(self) -> str:
        """Say in a few words what the configuration keeps, for notes."""
        if self.testpaths:
            return f"testpaths {', '.join(self.testpaths)} of {self.source}"
        return f"the configuration in {self.source}" if self.source else "pytest's defaults"


def is_test_module(rel: str, patterns: tuple[str, ...] = PYTHON_FILES) -> bool:
    """Return whether a repo-relative path matches one of pytest's python_files patterns."""
    return rel.endswith(".py") and any(_matches(pattern, rel) for pattern in patterns)


def _matches(pattern: str, path: str) -> bool:
    """Match a pattern as pytest does: on the last name, or a path's tail when it has a /."""
    if "/" not in pattern:
        return fnmatch.fnmatch(path.rsplit("/", 1)[-1], pattern)
    return fnmatch.fnmatch("/" + path, "*/" + pattern.strip("/"))


def suite_config(repo: Path) -> SuiteConfig:
    """Return the test-suite configuration of repo's pytest settings (defaults when none)."""
    for name, section in _INI_SECTIONS:
        path = repo / name
        if not path.is_file():
            continue
        options = _options(path, section)
        if options is not None:
            return _config(repo, name, options)
    return SuiteConfig()


def _options(path: Path, section: str) -> dict[str, list[str]] | None:
    """Return the pytest options a file sets, or None when it does not configure pytest."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if path.name == "pyproject.toml":
        try:
            table = tomllib.loads(text).get("tool", {}).get("pytest")
        except tomllib.TOMLDecodeError:
            return None
        if not isinstance(table, dict):
            return None
        ini = table.get("ini_options")
        values = ini if isinstance(ini, dict) else table
        return {k: _words(v) for k, v in values.items() if isinstance(v, str | list)}
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    if not parser.has_section(section):
        return {} if path.name in ("pytest.ini", ".pytest.ini") else None
    return {k: _words(v) for k, v in parser.items(section)}


def _words(value: str | list[object]) -> list[str]:
    """Split an option as pytest does for ``args``: shell words, or a TOML list."""
    if isinstance(value, list):
        return [str(v) for v in value]
    try:
        return shlex.split(value)
    except ValueError:
        return value.split()


def _config(repo: Path, source: str, options: dict[str, list[str]]) -> SuiteConfig:
    testpaths: list[str] = []
    for entry in options.get("testpaths", []):
        found = sorted(glob.glob(entry, root_dir=repo, recursive=True))
        testpaths += [_clean(p) for p in found]
    ignore, ignore_glob = _ignored(options.get("addopts", []))
    return SuiteConfig(
        source=source,
        # pytest collects from the current folder when no testpath exists.
        testpaths=tuple(dict.fromkeys(p for p in testpaths if p not in ("", "."))),
        norecursedirs=tuple(options.get("norecursedirs", _DEFAULT_NORECURSE)),
        ignore=tuple(_clean(p) for p in ignore),
        ignore_glob=tuple(_clean(p) for p in ignore_glob),
        python_files=tuple(options.get("python_files", PYTHON_FILES)),
        doctest_modules="--doctest-modules" in options.get("addopts", []),
        addopts=tuple(options.get("addopts", [])),
    )


def _ignored(addopts: list[str]) -> tuple[list[str], list[str]]:
    """Return the paths addopts ``--ignore``s and the patterns it ``--ignore-glob``s."""
    found: dict[str, list[str]] = {"--ignore": [], "--ignore-glob": []}
    words = iter(addopts)
    for word in words:
        name, eq, value = word.partition("=")
        if name in found:
            value = value if eq else next(words, "")
            if value:
                found[name].append(value)
    return found["--ignore"], found["--ignore-glob"]


def _clean(path: str) -> str:
    """Return a configured path as a POSIX path relative to the repository."""
    clean = path.replace("\\", "/").strip()
    while clean.startswith("./"):
        clean = clean[2:]
    return clean.rstrip("/")
