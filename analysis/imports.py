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
from collections.abc import Set
from dataclasses import dataclass, field
from pathlib import Path

from healloop.analysis import cache as caches
from healloop.analysis.pytest_config import SuiteConfig, suite_config
from healloop.analysis.scan import (
    SUBMODULES,
    ImportRef,
    read_attributes,
    read_refs,
    scan,
    typed,
)
from healloop.state import SymbolKind

CACHE_VERSION = 7
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
    """Return each file's dotted module name, as Python imports it from its import root."""
    return naming(repo, files)[0]


def naming(repo: Path, files: list[str], suite: SuiteConfig | None = None
           ) -> tuple[dict[str, str], dict[str, str]]:
    """Return each file's dotted module name, and the other name some files answer to.

    A file's import root is the folder above the outermost package holding it (or its
    own folder). A folder with an ``__init__.py`` is a package; so is a folder without
    one inside a package other than the repository root, as Python makes it a namespace
    portion of that package (``flask/sansio/``). Elsewhere a folder without one is not a
    package: ``tests/``, ``examples/demo/``, a src layout's ``src/`` stay import roots.

    Such a folder can still be an import root in practice, and its files then keep the
    bare names they had as one, beside their dotted ones (the second mapping, file ->
    bare name): a test folder, which pytest puts on ``sys.path``, and a folder holding a
    package of its own, which scripts put there (``test/perf/compiled_extensions/``).
    A lone module's bare name (``app`` for ``flask/sansio/app.py``) would only catch
    imports of unrelated modules.
    """
    suite = suite or SuiteConfig()
    packages = {f.rsplit("/", 1)[0] if "/" in f else "" for f in files
                if f.endswith("__init__.py")}
    root_name = root_package(repo) if "" in packages else None
    namespaces: dict[str, bool] = {}

    def is_namespace(folder: str) -> bool:
        if folder in namespaces:
            return namespaces[folder]
        parent = folder.rsplit("/", 1)[0] if "/" in folder else ""
        found = folder not in packages and parent != "" and (
            parent in packages or is_namespace(parent))
        namespaces[folder] = found
        return found

    names: dict[str, str] = {}
    bare: dict[str, str] = {}
    bare_roots: dict[str, str] = {}
    roots_with_packages = set()
    for rel in files:
        parts = rel[:-3].split("/")
        directory = parts[:-1]
        leaf = [] if parts[-1] == "__init__" else [parts[-1]]
        prefix: list[str] = []
        while directory and "/".join(directory) in packages:
            prefix.insert(0, directory.pop())
        if directory and is_namespace("/".join(directory)):
            bare[rel] = ".".join(prefix + leaf)
            bare_roots[rel] = "/".join(directory)
            if prefix:
                roots_with_packages.add(bare_roots[rel])
            while directory and ("/".join(directory) in packages
                                 or is_namespace("/".join(directory))):
                prefix.insert(0, directory.pop())
        if not directory and root_name and "" in packages:
            prefix.insert(0, root_name)
        names[rel] = ".".join(prefix + leaf) or (root_name or repo.name)
    pytest_roots = {bare_roots[f] for f in bare_roots
                    if suite.is_test(f) or f.rsplit("/", 1)[-1] == "conftest.py"}
    import_roots = pytest_roots | roots_with_packages
    aliases = {f: name for f, name in bare.items() if name and bare_roots[f] in import_roots}
    return names, aliases


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


_Hop = tuple[str, str, str]
"""A name read as an attribute of a module: (module, name, the attribute read on it)."""


@dataclass
class _Chain:
    """A dotted chain read in a module, resolved: what it ends at and what it passes."""

    module: str
    symbol: str
    """The name the chain ends at in module ('' when it names the module itself)."""
    member: str
    hops: list[_Hop]
    """Every name the chain reads on a module of the repository, in order."""


class ImportGraph:
    """Every module of a repository, its imports, and symbol resolution across them."""

    def __init__(self, repo: Path, summaries: dict[str, FileSummary],
                 aliases: dict[str, str] | None = None, suite: SuiteConfig | None = None
                 ) -> None:
        """Index the summaries of every file of repo (by repo-relative path).

        aliases maps files to the bare names they also answer to (see ``naming``);
        suite is the repository's pytest configuration, which names its test modules.
        """
        self.repo = repo
        self.suite = suite or SuiteConfig()
        self.files = summaries
        self.by_module: dict[str, str] = {}
        for rel in sorted(summaries, key=lambda f: (f.count("/"), f)):
            self.by_module.setdefault(summaries[rel].module, rel)
        for rel, alias in sorted((aliases or {}).items()):
            if rel in summaries:
                self.by_module.setdefault(alias, rel)
        self._bindings: dict[str, dict[str, ImportRef]] = {}
        self._stars: dict[str, list[str]] = {}
        self._importers: dict[str, set[str]] | None = None
        self._star_users: dict[str, set[str]] | None = None
        self._prefixes: set[str] | None = None
        self._gateway_cache: dict[str, set[str]] = {}
        self._users_cache: dict[str, set[str]] = {}
        self._attribute_cache: dict[str, set[str]] = {}
        self._refs_cache: dict[tuple[str, frozenset[str]], tuple[dict, dict]] = {}
        self._resolved: dict[tuple[str, str], tuple[str, str]] = {}
        self.dirty = False
        """Whether any file was scanned since the cache was read."""
        self.cache_file: Path | None = None
        self.stamps: dict[str, list[int]] = {}

    def is_test(self, rel: str) -> bool:
        """Return whether rel is named as a test module by the repository's pytest."""
        return self.suite.is_test(rel)

    def has_doctests(self, rel: str) -> bool:
        """Return whether pytest runs examples in rel's docstrings (``--doctest-modules``)."""
        if not self.suite.doctest_modules or self.is_test(rel) or not rel.endswith(".py"):
            return False
        try:
            return ">>>" in self.text(rel)
        except OSError:
            return False

    def text(self, rel: str) -> str:
        """Return the source of one file."""
        return (self.repo / rel).read_bytes().decode("utf-8-sig", errors="replace")

    def refs(self, rel: str, roots: set[str]
             ) -> tuple[dict[str, list[int]], dict[str, list[str]]]:
        """Return ``read_refs`` of rel, with its tests' chains for a test file, once.

        The uses of a test module and its test functions read the same chains: a
        package's ``__init__`` has hundreds of test modules among its dependents.
        """
        key = (rel, frozenset(roots))
        if key not in self._refs_cache:
            self._refs_cache[key] = read_refs(self.text(rel), roots, tests=self.is_test(rel))
        return self._refs_cache[key]

    def syntax_error(self, rel: str) -> str | None:
        """Return why a file does not parse, or None."""
        try:
            ast.parse(self.text(rel), filename=rel)
        except (SyntaxError, ValueError) as exc:
            return f"{type(exc).__name__}: {exc}"
        return None

    def canonical(self, module: str) -> str:
        """Return the dotted name of a module imported by a bare name (or module as is)."""
        rel = self.by_module.get(module)
        return module if rel is None else self.files[rel].module

    def _gateways(self, target_module: str) -> set[str]:
        """Return the modules through which a dotted name can reach target_module."""
        if target_module not in self._gateway_cache:
            gateways = _prefixes(target_module)
            gateways |= {self.files[f].module for f in self.symbol_users(target_module)}
            for module in self.star_reexporters(target_module):
                gateways |= _prefixes(module)  # attrs.validators: from attr.validators import *
            self._gateway_cache[target_module] = gateways
        return self._gateway_cache[target_module]

    def star_reexporters(self, module: str) -> set[str]:
        """Return the modules that re-export module's names by star imports, at any remove."""
        if self._star_users is None:
            self._star_users = {}
            for summary in self.files.values():
                for ref in summary.imports:
                    if ref.attr == "*" and ref.module in self.by_module:
                        self._star_users.setdefault(self.canonical(ref.module), set()).add(
                            summary.module)
        found: set[str] = set()
        todo = [module]
        while todo:
            for user in self._star_users.get(todo.pop(), ()):
                if user not in found and user != module:
                    found.add(user)
                    todo.append(user)
        return found

    def _roots(self, rel: str, target_module: str, gateways: set[str] | None = None
               ) -> set[str]:
        """Return the names bound in rel that can lead to a symbol of target_module."""
        if gateways is None:
            gateways = self._gateways(target_module)
        roots = set()
        for name, ref in self.bindings(rel).items():
            source = self.canonical(ref.module)
            if ref.attr is None:
                if source in gateways:
                    roots.add(name)
                continue
            if source == target_module:
                roots.add(name)
                continue
            module, symbol = self.resolve(ref.module, ref.attr)
            if module == target_module or (not symbol and module in gateways):
                roots.add(name)
        for star in self._stars[rel]:
            own = self.canonical(star) == target_module
            for name in self.exports(star):
                module, symbol = self.resolve(star, name)
                if own or module == target_module or (not symbol and module in gateways):
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

    def binds(self, module: str, name: str, *, submodules: bool = True) -> bool:
        """Return whether module has name: defines, imports or re-exports it, or a submodule.

        With submodules False, a submodule counts only when the module binds it itself.
        """
        sub = f"{module}.{name}"
        if submodules and (sub in self.by_module or self._is_package_prefix(sub)):
            return True
        rel = self.by_module.get(module)
        if rel is None:
            return False
        if name in self.files[rel].definitions or name in self.bindings(rel):
            return True
        return any(name in self.exports(star) for star in self._stars[rel])

    def resolve(self, module: str, name: str, seen: frozenset[tuple[str, str]] = frozenset()
                ) -> tuple[str, str]:
        """Follow re-exports from module.name to the module that defines name.

        Returns (module, name) of the definition, or ('<module>', '') when
        module.name is itself a module of the repository. A name module does not
        bind comes back as (module, name) too: ``binds`` tells them apart.
        """
        if not seen:
            key = (module, name)
            if key not in self._resolved:
                self._resolved[key] = self._resolve(module, name, seen)
            return self._resolved[key]
        return self._resolve(module, name, seen)

    def _resolve(self, module: str, name: str, seen: frozenset[tuple[str, str]]
                 ) -> tuple[str, str]:
        module = self.canonical(module)
        sub = f"{module}.{name}"
        if (module, name) in seen:
            # ``from . import sub`` in a package: the attribute is not set yet, so
            # Python imports the submodule.
            return (self.canonical(sub), "") if sub in self.by_module else (module, name)
        seen = seen | {(module, name)}
        rel = self.by_module.get(module)
        if rel is None:
            return (self.canonical(sub), "") if sub in self.by_module else (module, name)
        summary = self.files[rel]
        if name in summary.definitions:
            return module, name
        ref = self.bindings(rel).get(name)
        if ref is not None:
            if ref.attr is None:
                if ref.module in self.by_module:
                    return self.canonical(ref.module), ""
                return module, name
            return self._resolve(ref.module, ref.attr, seen)
        if sub in self.by_module:
            return self.canonical(sub), ""
        for star in self._stars[rel]:
            if name in self.exports(star):
                return self._resolve(star, name, seen)
        return module, name

    def _resolve_chain(self, rel: str, chain: str) -> _Chain | None:
        """Resolve a dotted chain read in rel, or return None when it leaves the repository."""
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
        hops: list[_Hop] = []
        if ref.attr is None:
            module, symbol = self.canonical(ref.module), ""
        else:
            hops.append((self.canonical(ref.module), ref.attr, parts[1] if parts[1:] else ""))
            module, symbol = self.resolve(ref.module, ref.attr)
        rest = parts[1:]
        while rest:
            if symbol:
                return _Chain(module, symbol, rest[0], hops)
            if module not in self.by_module and not self._is_package_prefix(module):
                return None
            hops.append((module, rest[0], rest[1] if rest[1:] else ""))
            module, symbol = self.resolve(module, rest[0])
            rest = rest[1:]
        return _Chain(module, symbol, "", hops)

    def _use_of(self, chain: _Chain, target_module: str) -> tuple[str, SymbolKind] | None:
        """Return the name of target_module a chain reads, with its kind, or None.

        A name read on the target counts when the target binds it, wherever it is
        defined (a package's ``__init__`` re-exports); a chain ending at a definition
        of the target through other modules counts too.
        """
        for module, name, after in chain.hops:
            # A submodule read through the target (``from . import _types``) is no
            # name of the target's own unless it binds it: editing it cannot remove it.
            if module == target_module and self.binds(module, name, submodules=False):
                kind = self.kind_of(*self.resolve(module, name))
                return (f"{name}.{after}" if after and kind == "class" else name), kind
        module, symbol = chain.module, chain.symbol
        if module == target_module and symbol and self.binds(module, symbol):
            kind = self.kind_of(module, symbol)
            return (f"{symbol}.{chain.member}" if chain.member and kind == "class"
                    else symbol), kind
        return None

    def _reaches(self, chain: _Chain, target_module: str) -> bool:
        """Return whether a chain reads target_module, or something in it."""
        return chain.module == target_module or any(
            module == target_module and self.binds(module, name)
            for module, name, _ in chain.hops)

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
            if ref.attr == SUBMODULES:  # import_module(f"pkg.plugins.{name}"): any of them
                start = ref.module + "."
                out.update(self.canonical(m) for m in self.by_module
                           if m.startswith(start) and "." not in m[len(start):])
            if ref.attr not in (None, "*") and f"{ref.module}.{ref.attr}" in self.by_module:
                out.add(self.canonical(f"{ref.module}.{ref.attr}"))
            elif ref.module in self.by_module:
                out.add(self.canonical(ref.module))
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
        """Return every file that imports rel's module, directly or not, with its depth.

        Depth 1 holds the files that import the module and those that reach one of its
        names otherwise: through a re-export, or as an attribute of a package.
        """
        target = self.files[rel].module
        direct = self.importers().get(target, set()) | self.symbol_users(target)
        direct |= self.attribute_users(target)
        direct.discard(rel)
        return self.importing(direct, besides={rel})

    def importing(self, files: set[str], besides: Set[str] = frozenset()) -> dict[str, int]:
        """Return files at depth 1 and every file importing one of them, with its depth.

        Files in besides are neither counted nor followed (the target itself).
        """
        importers = self.importers()
        depth = dict.fromkeys(files, 1)
        queue = deque(sorted(files))
        while queue:
            current = queue.popleft()
            for importer in importers.get(self.files[current].module, ()):
                if importer not in depth and importer not in besides:
                    depth[importer] = depth[current] + 1
                    queue.append(importer)
        return depth

    def symbol_users(self, module: str) -> set[str]:
        """Return files whose imports bind a symbol defined in module."""
        if module in self._users_cache:
            return self._users_cache[module]
        users = set()
        for rel in self.files:
            for ref in self.files[rel].imports:
                if ref.attr and ref.attr not in ("*", SUBMODULES):
                    origin, _ = self.resolve(ref.module, ref.attr)
                    if origin == module and self.files[rel].module != module:
                        users.add(rel)
                        break
        self._users_cache[module] = users
        return users

    def attribute_users(self, module: str) -> set[str]:
        """Return files that read module, or a name in it, as an attribute of a package.

        ``import click`` then ``click.utils.echo`` (a submodule is an attribute of its
        package once anything imported it), ``flask.url_for`` (re-exported by the
        package), or ``from pkg import sub`` for a target ``pkg``: no import statement
        names the module itself. Only the files binding a package that leads there
        are read; reaching a name through a plain module that happens to import it
        (``coercions.Annotated``) is left out, as reading for it would cost more than
        it finds.
        """
        if module in self._attribute_cache:
            return self._attribute_cache[module]
        reexporters = self.star_reexporters(module)
        packages = {m for m in self._gateways(module) if m != module and (
            self._is_package_prefix(m) or m in reexporters
            or self.files[self.by_module[m]].is_package)}
        # A chain from a package towards module reads the next part of module's name,
        # or a name the package binds that leads there: a file with none of them
        # after one of its roots need not be read.
        needles = set()
        for package in packages:
            if module.startswith(package + "."):
                needles.add(module[len(package) + 1:].split(".")[0])
            rel = self.by_module.get(package)
            if rel is not None:
                # What the package binds itself, and what its star imports bring in
                # (``from .more import *`` then ``pkg.chunked``).
                bound = set(self.bindings(rel))
                bound.update(*(self.exports(star) for star in self._stars[rel]))
                for name in bound:
                    found, symbol = self.resolve(package, name)
                    if found == module or (not symbol and found in packages):
                        needles.add(name)
        users = set()
        known = self.importers().get(module, set()) | self.symbol_users(module)
        for rel, summary in self.files.items():
            if summary.module == module or rel in known:
                continue
            if any(ref.attr not in (None, "*") and self.canonical(ref.module) == module
                   and self.binds(module, ref.attr) for ref in summary.imports):
                users.add(rel)
                continue
            roots = self._roots(rel, module, packages)
            if not roots or not needles:
                continue
            text = self.text(rel)
            if not any(f"{root}.{name}" in text for root in roots for name in needles):
                continue
            refs, _ = read_refs(text, roots)
            for chain in refs:
                resolved = self._resolve_chain(rel, chain)
                if resolved is not None and self._reaches(resolved, module):
                    users.add(rel)
                    break
        self._attribute_cache[module] = users
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
        """Return the names of target_module that file rel uses, with lines."""
        found: dict[tuple[str, int], Use] = {}
        refs, _ = self.refs(rel, self._roots(rel, target_module))
        for text, lines in refs.items():
            chain = self._resolve_chain(rel, text)
            use = None if chain is None else self._use_of(chain, target_module)
            if use is not None:
                for line in lines:
                    found.setdefault((use[0], line), Use(use[0], use[1], line))
        for ref in self.files[rel].imports:
            if ref.attr and ref.attr not in ("*", SUBMODULES):
                module, symbol = self.resolve(ref.module, ref.attr)
                hop = (self.canonical(ref.module), ref.attr, "")
                use = self._use_of(_Chain(module, symbol, "", [hop]), target_module)
                if use is not None:
                    found.setdefault((use[0], ref.line), Use(use[0], use[1], ref.line))
        return sorted(found.values(), key=lambda u: (u.line, u.symbol))

    def member_uses(self, rel: str, members: dict[str, set[str]], uses: list[Use]
                    ) -> list[Use]:
        """Return the target's class members that rel reads on objects (``ctx.find_object``).

        Which class an object is of is not known without running the code. A member
        read counts for a class when the object is one rel binds to an instance of it
        (annotated with the class, or made by calling it; ``self`` in a subclass), or
        when its name is distinctive and one class of the target alone has it
        (``find_object``, ``is_prerelease``); never on a module (``re.compile``), nor a
        name every dict or str has.

        Args:
            rel: A direct dependent.
            members: Class -> member names, of the target (``api.class_members``).
            uses: What rel is already known to use of the target.

        """
        owners: dict[str, list[str]] = {}
        for cls, names in members.items():
            for name in names - _GENERIC:
                owners.setdefault(name, []).append(cls)
        if not owners:
            return []
        text = self.text(rel)
        instances = typed(text, {u.symbol.split(".")[0] for u in uses} & set(members))
        modules = {name for name, ref in self.bindings(rel).items() if ref.attr is None}
        known = {(u.symbol, u.line) for u in uses}
        found = []
        for name, reads in read_attributes(text, set(owners)).items():
            only = owners[name] if len(owners[name]) == 1 and _distinctive(name) else []
            for line, receiver in reads:
                if receiver in modules:
                    continue
                classes = [c for c in owners[name] if receiver in instances.get(c, ())]
                for cls in classes or only:
                    if (f"{cls}.{name}", line) not in known:
                        known.add((f"{cls}.{name}", line))
                        found.append(Use(f"{cls}.{name}", "class", line))
        return found

    def test_functions(self, rel: str, modules: set[str]) -> list[str]:
        """Return the tests in rel, a test file, that read a name resolving into modules."""
        hits = []
        _, tests = self.refs(rel, set().union(*(self._roots(rel, m) for m in modules)))
        for test, chains in tests.items():
            for text in chains:
                chain = self._resolve_chain(rel, text)
                if chain is not None and any(self._reaches(chain, m) for m in modules):
                    hits.append(f"{rel}::{test}")
                    break
        return hits


_GENERIC = {name for kind in (object, dict, list, str, bytes, set, tuple, int, float,
                             BaseException) for name in dir(kind)}
"""Attribute names of the builtin types: reading one says nothing of whose object it is."""


def _distinctive(name: str) -> bool:
    """Return whether a member name is unlikely to belong to another object too."""
    return "_" in name.strip("_") and len(name) >= 8


def _prefixes(module: str) -> set[str]:
    """Return module and every package above it: a.b.c -> a, a.b, a.b.c."""
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)}


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


def build_graph(repo: Path, *, cache: bool = True, stamps: dict[str, list[int]] | None = None,
                suite: SuiteConfig | None = None) -> ImportGraph:
    """Scan (or load from the cache) every Python file of repo into an ImportGraph.

    Only heads (imports, top-level names) are kept; what a file reads is scanned
    when an analysis asks. Call ``save_graph`` afterwards to keep new heads.
    """
    repo = repo.resolve()
    stamps = stamps or source_stamps(repo)
    files = sorted(stamps)
    suite = suite or suite_config(repo)
    names, aliases = naming(repo, files, suite)
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
        source = (repo / rel).read_bytes().decode("utf-8-sig", errors="replace")
        is_package = rel.endswith("__init__.py")
        head = scan(source, names[rel], is_package)
        summaries[rel] = FileSummary(rel, names[rel], is_package, head.imports,
                                     head.definitions, head.all_names)
        changed = True
    graph = ImportGraph(repo, summaries, aliases, suite)
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
