"""The import graph of a repository, and which symbols of a module its importers use.

A change is safe only if what depends on it keeps working, so the blast radius starts
from structure: who imports the target, directly or through other modules, and which
of its functions, classes and constants each importer actually touches. Python offers
many ways to reach a name (``import x``, ``from x import y``, aliases, re-exports in a
package's ``__init__``, relative and star imports, imports under ``if`` or ``try``),
and each is resolved here from the source alone, without importing anything.

Parsing is the expensive part, so each file's summary is cached under
``<repo>/.healloop/cache/`` keyed by its size and modification time: a warm query
re-parses only the files that changed.
"""

from __future__ import annotations

import ast
import os
import tomllib
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from healloop.analysis import cache as caches
from healloop.analysis.scan import ImportRef, read_refs, scan
from healloop.state import SymbolKind

CACHE_VERSION = 5
_SKIP_DIRS = {
    "__pycache__", "node_modules", "venv", "site-packages", "build", "dist",
}
_CACHE_NAME = "imports.json"


@dataclass
class Use:
    """A resolved use of a target symbol by a module."""

    symbol: str
    kind: SymbolKind
    line: int


def is_test_file(rel: str) -> bool:
    """Return whether a repo-relative path looks like a pytest test module."""
    name = rel.rsplit("/", 1)[-1]
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


# ---------------------------------------------------------------------------
# Discovery and module names


def python_files(repo: Path) -> list[str]:
    """Return the repo-relative POSIX paths of the repository's Python sources."""
    found = []
    for root, dirs, files in os.walk(repo):
        dirs[:] = sorted(
            d for d in dirs
            if not d.startswith(".") and d not in _SKIP_DIRS and not d.endswith(".egg-info")
        )
        rel_root = os.path.relpath(root, repo)
        for name in files:
            if name.endswith(".py"):
                rel = name if rel_root == "." else f"{rel_root}/{name}"
                found.append(rel.replace(os.sep, "/"))
    found.sort()
    return found


def root_package(repo: Path) -> str:
    """Return the import name of the repository root when the root is a package."""
    pyproject = repo / "pyproject.toml"
    if pyproject.exists():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            data = {}
        mapping = data.get("tool", {}).get("setuptools", {}).get("package-dir", {})
        for name, where in mapping.items():
            if where in (".", "") and name:
                return name
        name = data.get("project", {}).get("name")
        if name:
            return name.replace("-", "_")
    return repo.name.replace("-", "_")


def module_names(repo: Path, files: list[str]) -> dict[str, str]:
    """Return each file's dotted module name, walking up through ``__init__.py`` dirs."""
    packages = {f.rsplit("/", 1)[0] if "/" in f else "" for f in files
                if f.endswith("__init__.py")}
    root_name = root_package(repo) if "" in packages else None
    names = {}
    for rel in files:
        parts = rel[:-3].split("/")
        directory = parts[:-1]
        leaf = [] if parts[-1] == "__init__" else [parts[-1]]
        prefix: list[str] = []
        while directory and "/".join(directory) in packages:
            prefix.insert(0, directory.pop())
        if not directory and root_name and "" in packages:
            prefix.insert(0, root_name)
        names[rel] = ".".join(prefix + leaf) or (root_name or repo.name)
    return names


# ---------------------------------------------------------------------------
# The graph


@dataclass
class FileSummary:
    """One source file: its module name, imports and top-level names, and its body."""

    file: str
    module: str
    is_package: bool
    imports: list[ImportRef] = field(default_factory=list)
    definitions: dict[str, SymbolKind] = field(default_factory=dict)
    all_names: list[str] | None = None


class ImportGraph:
    """Every module of a repository, its imports, and symbol resolution across them."""

    def __init__(self, repo: Path, summaries: dict[str, FileSummary]) -> None:
        """Index the summaries of every file of repo (by repo-relative path)."""
        self.repo = repo
        self.files = summaries
        self.by_module: dict[str, str] = {}
        for rel in sorted(summaries, key=lambda f: (f.count("/"), f)):
            self.by_module.setdefault(summaries[rel].module, rel)
        self._bindings: dict[str, dict[str, ImportRef]] = {}
        self._stars: dict[str, list[str]] = {}
        self._importers: dict[str, set[str]] | None = None
        self._prefixes: set[str] | None = None
        self._gateway_cache: dict[str, set[str]] = {}
        self._users_cache: dict[str, set[str]] = {}
        self.dirty = False
        """Whether any file was scanned since the cache was read."""
        self.cache_file: Path | None = None
        self.stamps: dict[str, list[int]] = {}

    def text(self, rel: str) -> str:
        """Return the source of one file."""
        return (self.repo / rel).read_bytes().decode("utf-8", errors="replace")

    def syntax_error(self, rel: str) -> str | None:
        """Return why a file does not parse, or None."""
        try:
            ast.parse(self.text(rel), filename=rel)
        except (SyntaxError, ValueError) as exc:
            return f"{type(exc).__name__}: {exc}"
        return None

    def _gateways(self, target_module: str) -> set[str]:
        """Return the modules through which a dotted name can reach target_module."""
        if target_module not in self._gateway_cache:
            parts = target_module.split(".")
            gateways = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
            gateways |= {self.files[f].module for f in self.symbol_users(target_module)}
            self._gateway_cache[target_module] = gateways
        return self._gateway_cache[target_module]

    def _roots(self, rel: str, target_module: str) -> set[str]:
        """Return the names bound in rel that can lead to a symbol of target_module."""
        gateways = self._gateways(target_module)
        roots = set()
        for name, ref in self.bindings(rel).items():
            if ref.attr is None:
                if ref.module in gateways:
                    roots.add(name)
                continue
            module, symbol = self.resolve(ref.module, ref.attr)
            if module == target_module or (not symbol and module in gateways):
                roots.add(name)
        for star in self._stars[rel]:
            for name in self.exports(star):
                module, symbol = self.resolve(star, name)
                if module == target_module or (not symbol and module in gateways):
                    roots.add(name)
        return roots

    # -- bindings
    def bindings(self, rel: str) -> dict[str, ImportRef]:
        """Return the names a file's imports bind (top-level ones win)."""
        if rel not in self._bindings:
            bound: dict[str, ImportRef] = {}
            stars = []
            for ref in sorted(self.files[rel].imports, key=lambda r: not r.top):
                if ref.attr == "*":
                    stars.append(ref.module)
                elif ref.bound:
                    bound.setdefault(ref.bound, ref)
            self._bindings[rel] = bound
            self._stars[rel] = stars
        return self._bindings[rel]

    def exports(self, module: str, seen: frozenset[str] = frozenset()) -> set[str]:
        """Return the names ``from module import *`` binds."""
        rel = self.by_module.get(module)
        if rel is None or module in seen:
            return set()
        summary = self.files[rel]
        if summary.all_names is not None:
            return set(summary.all_names)
        names = {n for n in summary.definitions if not n.startswith("_")}
        names |= {n for n in self.bindings(rel) if not n.startswith("_")}
        for star in self._stars[rel]:
            names |= self.exports(star, seen | {module})
        return names

    def resolve(self, module: str, name: str, seen: frozenset[tuple[str, str]] = frozenset()
                ) -> tuple[str, str]:
        """Follow re-exports from module.name to the module that defines name.

        Returns (module, name) of the definition, or ('<module>', '') when
        module.name is itself a module of the repository.
        """
        sub = f"{module}.{name}"
        if (module, name) in seen:
            return module, name
        seen = seen | {(module, name)}
        rel = self.by_module.get(module)
        if rel is None:
            return (sub, "") if sub in self.by_module else (module, name)
        summary = self.files[rel]
        if name in summary.definitions:
            return module, name
        ref = self.bindings(rel).get(name)
        if ref is not None:
            if ref.attr is None:
                return (ref.module, "") if ref.module in self.by_module else (module, name)
            return self.resolve(ref.module, ref.attr, seen)
        if sub in self.by_module:
            return sub, ""
        for star in self._stars[rel]:
            if name in self.exports(star):
                return self.resolve(star, name, seen)
        return module, name

    def _resolve_chain(self, rel: str, chain: str) -> tuple[str, str, str] | None:
        """Resolve a dotted chain read in rel to (module, symbol, member) or None.

        An empty symbol means the chain names the module itself.
        """
        parts = chain.split(".")
        bindings = self.bindings(rel)
        ref = bindings.get(parts[0])
        if ref is None:
            if parts[0] in self.files[rel].definitions:
                return None
            for star in self._stars[rel]:
                if parts[0] in self.exports(star):
                    ref = ImportRef(parts[0], star, parts[0], 0, True)
                    break
            else:
                return None
        if ref.attr is None:
            module, symbol = ref.module, ""
        else:
            module, symbol = self.resolve(ref.module, ref.attr)
        rest = parts[1:]
        while rest:
            if symbol:
                return module, symbol, rest[0]
            if module not in self.by_module and not self._is_package_prefix(module):
                return None
            module, symbol = self.resolve(module, rest[0])
            rest = rest[1:]
        return module, symbol, ""

    def _is_package_prefix(self, module: str) -> bool:
        if self._prefixes is None:
            self._prefixes = {
                ".".join(m.split(".")[:i]) for m in self.by_module
                for i in range(1, m.count(".") + 1)
            }
        return module in self._prefixes

    # -- edges
    def imported_modules(self, rel: str) -> set[str]:
        """Return the repository modules a file imports (or imports from)."""
        out = set()
        for ref in self.files[rel].imports:
            if ref.attr not in (None, "*") and f"{ref.module}.{ref.attr}" in self.by_module:
                out.add(f"{ref.module}.{ref.attr}")
            elif ref.module in self.by_module:
                out.add(ref.module)
        out.discard(self.files[rel].module)
        return out

    def importers(self) -> dict[str, set[str]]:
        """Return module -> the files that import it."""
        if self._importers is None:
            rev: dict[str, set[str]] = {}
            for rel in self.files:
                for module in self.imported_modules(rel):
                    rev.setdefault(module, set()).add(rel)
            self._importers = rev
        return self._importers

    def dependents(self, rel: str) -> dict[str, int]:
        """Return every file that imports rel's module, directly or not, with its depth."""
        target = self.files[rel].module
        depth = {rel: 0}
        queue = deque([rel])
        importers = self.importers()
        while queue:
            current = queue.popleft()
            for importer in importers.get(self.files[current].module, ()):
                if importer not in depth:
                    depth[importer] = depth[current] + 1
                    queue.append(importer)
        # A module that reaches a target symbol through a re-export uses it directly.
        for user in self.symbol_users(target):
            depth[user] = 1 if user != rel else 0
        del depth[rel]
        return depth

    def symbol_users(self, module: str) -> set[str]:
        """Return files whose imports bind a symbol defined in module."""
        if module in self._users_cache:
            return self._users_cache[module]
        users = set()
        for rel in self.files:
            for ref in self.files[rel].imports:
                if ref.attr and ref.attr != "*":
                    origin, _ = self.resolve(ref.module, ref.attr)
                    if origin == module and self.files[rel].module != module:
                        users.add(rel)
                        break
        self._users_cache[module] = users
        return users

    # -- uses
    def kind_of(self, module: str, symbol: str) -> SymbolKind:
        """Return what kind of symbol module.symbol is."""
        if not symbol:
            return "module"
        rel = self.by_module.get(module)
        if rel is None:
            return "unknown"
        return self.files[rel].definitions.get(symbol, "unknown")

    def uses(self, rel: str, target_module: str) -> list[Use]:
        """Return the symbols of target_module that file rel uses, with lines."""
        found: dict[tuple[str, int], Use] = {}
        refs, _ = read_refs(self.text(rel), self._roots(rel, target_module))
        for chain, lines in refs.items():
            resolved = self._resolve_chain(rel, chain)
            if resolved is None:
                continue
            module, symbol, member = resolved
            if module == target_module and symbol:
                name = symbol
                if member and self.kind_of(module, symbol) == "class":
                    name = f"{symbol}.{member}"
                kind = self.kind_of(module, symbol)
                for line in lines:
                    found.setdefault((name, line), Use(name, kind, line))
        for ref in self.files[rel].imports:
            if ref.attr and ref.attr != "*":
                module, symbol = self.resolve(ref.module, ref.attr)
                if module == target_module and symbol:
                    kind = self.kind_of(module, symbol)
                    found.setdefault((symbol, ref.line), Use(symbol, kind, ref.line))
        return sorted(found.values(), key=lambda u: (u.line, u.symbol))

    def test_functions(self, rel: str, modules: set[str]) -> list[str]:
        """Return the tests in rel that read a name resolving into one of modules."""
        hits = []
        _, tests = read_refs(self.text(rel), set().union(
            *(self._roots(rel, m) for m in modules)), tests=True)
        for test, chains in tests.items():
            for chain in chains:
                resolved = self._resolve_chain(rel, chain)
                if resolved is not None and resolved[0] in modules:
                    hits.append(f"{rel}::{test}")
                    break
        return hits


# ---------------------------------------------------------------------------
# Building, with a cache


def _head_to_json(summary: FileSummary) -> list:
    imports = [[r.bound, r.module, r.attr, r.line, r.top] for r in summary.imports]
    return [imports, summary.definitions, summary.all_names]


def _summary_from_json(rel: str, module: str, entry: list) -> FileSummary:
    imports, definitions, all_names = entry[2]
    return FileSummary(
        file=rel, module=module, is_package=rel.endswith("__init__.py"),
        imports=[ImportRef(*i) for i in imports], definitions=definitions,
        all_names=all_names,
    )


def source_stamps(repo: Path) -> dict[str, list[int]]:
    """Return each Python source of repo with its size and modification time."""
    stamps = {}
    for rel in python_files(repo):
        stat = (repo / rel).stat()
        stamps[rel] = [stat.st_size, stat.st_mtime_ns]
    return stamps


def build_graph(repo: Path, *, cache: bool = True,
                stamps: dict[str, list[int]] | None = None) -> ImportGraph:
    """Scan (or load from the cache) every Python file of repo into an ImportGraph.

    Only heads (imports, top-level names) are kept; what a file reads is scanned
    when an analysis asks. Call ``save_graph`` afterwards to keep new heads.
    """
    repo = repo.resolve()
    stamps = stamps or source_stamps(repo)
    files = sorted(stamps)
    names = module_names(repo, files)
    cache_file = caches.cache_file(repo, _CACHE_NAME) if cache else None
    cached = caches.read_per_file(cache_file, CACHE_VERSION)
    summaries: dict[str, FileSummary] = {}
    changed = len(cached) != len(files)
    for rel in files:
        stamp = stamps[rel]
        entry = cached.get(rel)
        if entry and entry[0] == stamp and entry[1] == names[rel]:
            summaries[rel] = _summary_from_json(rel, names[rel], entry)
            continue
        source = (repo / rel).read_bytes().decode("utf-8", errors="replace")
        is_package = rel.endswith("__init__.py")
        head = scan(source, names[rel], is_package)
        summaries[rel] = FileSummary(rel, names[rel], is_package, head.imports,
                                     head.definitions, head.all_names)
        changed = True
    graph = ImportGraph(repo, summaries)
    graph.dirty = changed
    graph.cache_file = cache_file
    graph.stamps = stamps
    return graph


def save_graph(graph: ImportGraph) -> None:
    """Write the heads of the graph to its cache, if anything was scanned."""
    cache_file = graph.cache_file
    if cache_file is None or not graph.dirty:
        return
    files = {rel: [graph.stamps[rel], s.module, _head_to_json(s)]
             for rel, s in graph.files.items()}
    if caches.write_per_file(cache_file, CACHE_VERSION, files):
        graph.dirty = False
