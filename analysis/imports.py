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
import json
import os
import tomllib
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path

from healloop.state import SymbolKind

CACHE_VERSION = 3
_SKIP_DIRS = {
    "__pycache__", "node_modules", "venv", "site-packages", "build", "dist",
}
_CACHE_NAME = "imports.json"


@dataclass
class ImportRef:
    """One name an import statement binds in a module."""

    bound: str
    """The local name it binds ('' for a star import)."""
    module: str
    """The absolute module imported from (or imported)."""
    attr: str | None
    """For ``from m import a``: 'a'; None for ``import m``."""
    line: int
    top: bool
    """Whether the import runs when the module is imported (not inside a function)."""


@dataclass
class FileSummary:
    """What one source file defines, imports and references."""

    file: str
    module: str
    is_package: bool
    definitions: dict[str, SymbolKind] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    """Class name -> its attribute and method names."""
    all_names: list[str] | None = None
    imports: list[ImportRef] = field(default_factory=list)
    refs: dict[str, list[int]] = field(default_factory=dict)
    """Dotted name chains read in the module ('a.b.c') -> lines."""
    tests: dict[str, list[str]] = field(default_factory=dict)
    """Test function id ('TestX::test_y') -> dotted chains it reads."""
    error: str | None = None


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
# Parsing one file


class _Summariser(ast.NodeVisitor):
    """Walk one module and fill a FileSummary."""

    def __init__(self, summary: FileSummary) -> None:
        self.s = summary
        self.depth = 0  # function nesting
        self.test: str | None = None
        self.class_stack: list[str] = []

    # -- imports
    def _package(self) -> list[str]:
        parts = self.s.module.split(".")
        return parts if self.s.is_package else parts[:-1]

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                bound, module = alias.asname, alias.name
            else:
                bound = module = alias.name.split(".")[0]
                if "." in alias.name:
                    # `import a.b.c` binds `a` but loads a.b.c: remember both.
                    self.s.imports.append(
                        ImportRef("", alias.name, None, node.lineno, self.depth == 0)
                    )
            self.s.imports.append(ImportRef(bound, module, None, node.lineno, self.depth == 0))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self._package()
            if node.level > 1:
                base = base[: len(base) - (node.level - 1)]
            module = ".".join(base + ([node.module] if node.module else []))
        else:
            module = node.module or ""
        for alias in node.names:
            if alias.name == "*":
                self.s.imports.append(ImportRef("", module, "*", node.lineno, self.depth == 0))
            else:
                self.s.imports.append(
                    ImportRef(alias.asname or alias.name, module, alias.name, node.lineno,
                              self.depth == 0)
                )

    # -- definitions
    def _define(self, name: str, kind: SymbolKind) -> None:
        if self.depth == 0 and not self.class_stack:
            self.s.definitions.setdefault(name, kind)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._define(node.name, "function")
        for deco in node.decorator_list:
            self.visit(deco)
        self.visit(node.args)
        if node.returns:
            self.visit(node.returns)
        if self.class_stack and self.depth == 0:
            self.s.members.setdefault(self.class_stack[-1], []).append(node.name)
        outer = self.test
        if self.test is None and self.depth == 0 and node.name.startswith("test"):
            cls = self.class_stack[-1] + "::" if self.class_stack else ""
            if not self.class_stack or self.class_stack[-1].startswith("Test"):
                self.test = f"{cls}{node.name}"
                self.s.tests.setdefault(self.test, [])
        self.depth += 1
        saved = self.class_stack
        self.class_stack = []
        for stmt in node.body:
            self.visit(stmt)
        self.class_stack = saved
        self.depth -= 1
        self.test = outer

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._define(node.name, "class")
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        self.class_stack.append(node.name)
        if len(self.class_stack) == 1 and self.depth == 0:
            self.s.members.setdefault(node.name, [])
        for stmt in node.body:
            self.visit(stmt)
        self.class_stack.pop()

    def _targets(self, targets: list[ast.expr]) -> None:
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    if self.class_stack and self.depth == 0 and len(self.class_stack) == 1:
                        self.s.members.setdefault(self.class_stack[0], []).append(name.id)
                    kind: SymbolKind = "constant" if name.id.isupper() else "attribute"
                    self._define(name.id, kind)
                    if name.id == "__all__" and self.depth == 0 and not self.class_stack:
                        self.s.all_names = self._all_value
            self.visit(target)

    _all_value: list[str] | None = None

    def visit_Assign(self, node: ast.Assign) -> None:
        self._all_value = _string_list(node.value)
        self._targets(node.targets)
        self.visit(node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._all_value = _string_list(node.value) if node.value else None
        self._targets([node.target])
        self.visit(node.annotation)
        if node.value:
            self.visit(node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if (isinstance(node.target, ast.Name) and node.target.id == "__all__"
                and self.s.all_names is not None):
            extra = _string_list(node.value)
            if extra:
                self.s.all_names = self.s.all_names + extra
        self.generic_visit(node)

    # -- references
    def _ref(self, chain: str, line: int) -> None:
        lines = self.s.refs.setdefault(chain, [])
        if not lines or lines[-1] != line:
            lines.append(line)
        if self.test is not None:
            self.s.tests[self.test].append(chain)

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Store):
            self._ref(node.id, node.lineno)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        parts = [node.attr]
        value = node.value
        while isinstance(value, ast.Attribute):
            parts.append(value.attr)
            value = value.value
        if isinstance(value, ast.Name):
            parts.append(value.id)
            self._ref(".".join(reversed(parts)), node.lineno)
        else:
            self.visit(value)


def _string_list(node: ast.expr | None) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple)) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts
    ):
        return [e.value for e in node.elts]  # type: ignore[attr-defined]
    return None


def summarise(source: str, file: str, module: str, is_package: bool) -> FileSummary:
    """Return what one module defines, imports and references."""
    summary = FileSummary(file=file, module=module, is_package=is_package)
    try:
        tree = ast.parse(source, filename=file)
    except (SyntaxError, ValueError) as exc:
        summary.error = f"{type(exc).__name__}: {exc}"
        return summary
    _Summariser(summary).visit(tree)
    for test, chains in summary.tests.items():
        summary.tests[test] = sorted(set(chains))
    return summary


def _from_dict(data: dict) -> FileSummary:
    imports = [ImportRef(**i) for i in data.pop("imports")]
    return FileSummary(**data, imports=imports)


# ---------------------------------------------------------------------------
# The graph


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
        users = set()
        for rel in self.files:
            for ref in self.files[rel].imports:
                if ref.attr and ref.attr != "*":
                    origin, _ = self.resolve(ref.module, ref.attr)
                    if origin == module and self.files[rel].module != module:
                        users.add(rel)
                        break
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
        for chain, lines in self.files[rel].refs.items():
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
        for test, chains in self.files[rel].tests.items():
            for chain in chains:
                resolved = self._resolve_chain(rel, chain)
                if resolved is not None and resolved[0] in modules:
                    hits.append(f"{rel}::{test}")
                    break
        return hits


# ---------------------------------------------------------------------------
# Building, with a cache


def cache_dir(repo: Path) -> Path:
    """Return the folder of healloop's caches in repo, creating it (git-ignored)."""
    folder = repo / ".healloop" / "cache"
    folder.mkdir(parents=True, exist_ok=True)
    ignore = repo / ".healloop" / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
    return folder


def build_graph(repo: Path, *, cache: bool = True) -> ImportGraph:
    """Parse (or load from the cache) every Python file of repo into an ImportGraph."""
    repo = repo.resolve()
    files = python_files(repo)
    names = module_names(repo, files)
    cached: dict[str, dict] = {}
    cache_file = None
    if cache:
        try:
            cache_file = cache_dir(repo) / _CACHE_NAME
        except OSError:
            cache_file = None
    if cache_file is not None and cache_file.exists():
        try:
            data = json.loads(cache_file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            data = {}
        if data.get("version") == CACHE_VERSION:
            cached = data.get("files", {})
    summaries: dict[str, FileSummary] = {}
    fresh: dict[str, dict] = {}
    changed = False
    for rel in files:
        stat = (repo / rel).stat()
        stamp = [stat.st_size, stat.st_mtime_ns]
        entry = cached.get(rel)
        if entry and entry["stamp"] == stamp and entry["summary"]["module"] == names[rel]:
            summaries[rel] = _from_dict(dict(entry["summary"]))
            fresh[rel] = entry
            continue
        source = (repo / rel).read_bytes().decode("utf-8", errors="replace")
        summary = summarise(source, rel, names[rel], rel.endswith("__init__.py"))
        summaries[rel] = summary
        fresh[rel] = {"stamp": stamp, "summary": asdict(summary)}
        changed = True
    if cache_file is not None and (changed or len(fresh) != len(cached)):
        tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps({"version": CACHE_VERSION, "files": fresh}),
                           encoding="utf-8")
            tmp.replace(cache_file)
        except OSError:
            tmp.unlink(missing_ok=True)
    return ImportGraph(repo, summaries)
