"""What a change to import-time code reaches: the names it binds, and who reads them.

A module's top-level code runs once, when it is imported, before the first test, so a
coverage map attributes it to no test. Most of it only binds names: imports,
constants, definitions, a switch on the platform. A change there reaches a test in two
ways only: through a line that reads one of those names, or by making the import fail,
which any test that runs the module's code shows. So the tests to run are those that
ran a line naming a bound name, in any measured file (matched as text, so
``getattr(module, "NAME")`` counts and a name shared by chance only adds tests), and
one test that ran the module. A changed definition also runs the tests that ran its
body, since operators and protocols call dunders by no name.

A reading line that itself runs at import binds names in turn, and those are followed
(``from a import X``, ``DEFAULT = X + 1``); in a test module it runs the file whole,
since pytest reads marks and parameters there. Anything else makes the reach unknown
(``ImportTimeEffect``) and the caller runs every test file reaching the module: a call
made for its effect, a decorator that may register what it decorates (a route, a
fixture), an attribute or item assigned (a registry, ``sys.modules``), a
star import, ``__all__``, a class whose base or metaclass runs code for each class
defined (``__init_subclass__``), a function run at import that reads a bound name, a module
imported inside a test rather than at collection, a file changed since the map.

A changed function that ran at import only while pytest collected some test files
(a parameter built by calling it) runs those files whole, when what their collection
built cannot outlive them (``collected_only``); run by other import-time code, it
makes the reach unknown too.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable, Iterator, Set
from dataclasses import dataclass, field

_COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.TryStar, ast.With,
             ast.AsyncWith)
_PURE_DECORATORS = frozenset({
    "property", "cached_property", "setter", "getter", "deleter", "staticmethod",
    "classmethod", "abstractmethod", "overload", "override", "final", "wraps", "cache",
    "lru_cache", "contextmanager", "asynccontextmanager", "dataclass", "total_ordering",
    "runtime_checkable",
})
"""Decorators that only wrap or describe what they decorate: others may register it
(a route, a fixture, a plugin), which no name shows."""
_PLAIN_METACLASSES = frozenset({"ABCMeta", "type"})
"""Metaclasses that build a class and keep no list of what they built."""
_NEUTRAL = (ast.Pass, ast.Global, ast.Nonlocal, ast.Assert, ast.Raise, ast.Break,
            ast.Continue)


class ImportTimeEffect(Exception):
    """Import-time code does more than bind names: what it reaches cannot be told."""


def _names(target: ast.expr) -> set[str]:
    """Return the names an assignment target binds; raise on an attribute or an item."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(_names(e) for e in target.elts))
    if isinstance(target, ast.Starred):
        return _names(target.value)
    raise ImportTimeEffect(f"line {target.lineno} changes an object other code holds")


def _children(stmt: ast.stmt) -> list[ast.stmt]:
    """Return the statements nested in a compound statement, every branch."""
    nested = [*getattr(stmt, "body", []), *getattr(stmt, "orelse", []),
              *getattr(stmt, "finalbody", [])]
    for handler in getattr(stmt, "handlers", []):
        nested.extend(handler.body)
    return nested


def _calls(node: ast.AST) -> bool:
    """Return whether evaluating node calls code (a call, an await, a yield)."""
    return any(isinstance(n, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom))
               for n in ast.walk(node))


def _imported_as(stmt: ast.Import | ast.ImportFrom, alias: ast.alias) -> str:
    """Return the name an import binds for one of its aliases (``import a.b`` binds a)."""
    if alias.asname:
        return alias.asname
    return alias.name.split(".")[0] if isinstance(stmt, ast.Import) else alias.name


def binds(stmt: ast.stmt) -> set[str]:
    """Return the names an import-time statement binds, in every branch it has.

    Raises:
        ImportTimeEffect: the statement does more than bind names.

    """
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        if any(a.name == "*" for a in stmt.names):
            raise ImportTimeEffect(f"line {stmt.lineno} is a star import")
        return {_imported_as(stmt, a) for a in stmt.names}
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return {"__doc__"}
    if isinstance(stmt, ast.Expr) and not _calls(stmt.value):
        return set()  # a read, such as a feature test in a try: nothing to bind
    if isinstance(stmt, _NEUTRAL):
        return set()
    names: set[str] = set()
    if isinstance(stmt, (ast.Assign, ast.Delete)):
        for target in stmt.targets:
            names |= _names(target)
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        names = _names(stmt.target)
    elif isinstance(stmt, _COMPOUND):
        if isinstance(stmt, (ast.For, ast.AsyncFor)):
            names |= _names(stmt.target)
        for item in getattr(stmt, "items", []):
            if item.optional_vars is not None:
                names |= _names(item.optional_vars)
        names |= {h.name for h in getattr(stmt, "handlers", []) if h.name}
        for child in _children(stmt):
            names |= binds(child)
    else:
        raise ImportTimeEffect(f"line {stmt.lineno} runs for its effect at import")
    if "__all__" in names:
        raise ImportTimeEffect(f"line {stmt.lineno} changes __all__, which star imports read")
    return names


@dataclass
class Site:
    """Where a line sits: what kind of code, which statement, in which classes."""

    kind: str
    """"body" (runs when a function runs), "def" or "class" (a definition's header,
    decorators included), or "stmt" (other import-time code)."""
    stmt: ast.stmt
    classes: list[ast.ClassDef] = field(default_factory=list)

    def span(self) -> range:
        """Return the lines whose coverage says whether the site ran.

        The whole statement, or a definition's or compound statement's header.
        """
        stmt = self.stmt
        if self.kind in ("def", "class") or isinstance(stmt, _COMPOUND):
            return range(_start(stmt), stmt.body[0].lineno)
        return range(_start(stmt), (stmt.end_lineno or stmt.lineno) + 1)

    def body(self) -> range:
        """Return the lines of a definition's body (empty for other sites)."""
        if self.kind not in ("def", "class"):
            return range(0)
        return range(self.stmt.body[0].lineno, (self.stmt.end_lineno or 0) + 1)

    def binds(self, name: str | None = None) -> set[str]:
        """Return the names the site binds; of an import, only name's alias if given."""
        stmt = self.stmt
        if name is not None and isinstance(stmt, (ast.Import, ast.ImportFrom)):
            bound = {_imported_as(stmt, a) for a in stmt.names if name in (a.name, a.asname)}
            return bound or {name}
        names = binds(stmt)
        # A class attribute or a method can change how the class is built (a
        # dataclass's fields, a metaclass): whoever names the class may see it.
        if self.kind != "def":
            names |= {c.name for c in self.classes}
        return names


def _start(stmt: ast.stmt) -> int:
    return min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", []))])


def site(stmts: list[ast.stmt], line: int, classes: list[ast.ClassDef] | None = None
         ) -> Site | None:
    """Return the site of line among stmts (a module's body), or None between statements."""
    classes = classes or []
    for stmt in stmts:
        if not _start(stmt) <= line <= (stmt.end_lineno or stmt.lineno):
            continue
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return Site("body" if line >= stmt.body[0].lineno else "def", stmt, classes)
        if isinstance(stmt, ast.ClassDef):
            if line >= stmt.body[0].lineno:
                return site(stmt.body, line, [*classes, stmt]) or Site("class", stmt, classes)
            return Site("class", stmt, classes)
        if line in main_body(stmt):
            return Site("body", stmt, classes)
        if isinstance(stmt, _COMPOUND):
            inner = site(_children(stmt), line, classes)
            if inner is not None and inner.kind != "stmt":
                return inner
        return Site("stmt", stmt, classes)
    return None


def main_body(stmt: ast.stmt) -> range:
    """Return the lines of an ``if __name__ == "__main__":`` block's body (else none).

    They run when the module runs as a program (``python -m``, ``runpy``), never at
    import: like a function body, only whoever ran them depends on them.
    """
    test = getattr(stmt, "test", None)
    if not isinstance(stmt, ast.If) or not isinstance(test, ast.Compare) or \
            len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return range(0)
    sides = [test.left, test.comparators[0]]
    names = {n.id for n in sides if isinstance(n, ast.Name)}
    texts = {n.value for n in sides if isinstance(n, ast.Constant)}
    if names != {"__name__"} or texts != {"__main__"}:
        return range(0)
    return range(stmt.body[0].lineno, (stmt.body[-1].end_lineno or stmt.lineno) + 1)


def decorator_name(node: ast.expr) -> str:
    """Return the last name of a decorator (``app.route(...)``: route)."""
    node = node.func if isinstance(node, ast.Call) else node
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def check_decorators(where: Site, line: int) -> None:
    """Raise when line is part of a decorator that may register what it decorates."""
    for decorator in getattr(where.stmt, "decorator_list", []):
        if decorator.lineno <= line <= (decorator.end_lineno or decorator.lineno) and \
                decorator_name(decorator) not in _PURE_DECORATORS:
            raise ImportTimeEffect(f"line {line} changes a decorator that may register "
                                   f"{getattr(where.stmt, 'name', '')}")


def _base_name(node: ast.expr) -> str:
    """Return the last name of a base class (``abc.Base``, ``Generic[T]``: Base, Generic)."""
    return decorator_name(node.value if isinstance(node, ast.Subscript) else node)


def runs_for_subclasses(cls: ast.ClassDef) -> bool:
    """Return whether defining cls or a subclass runs cls's code: a registry may keep it.

    ``__init_subclass__`` runs for every subclass defined, and a metaclass (other than
    ``ABCMeta``, which only records abstract methods) for every class built with it.
    """
    if any(k.arg == "metaclass" and _base_name(k.value) not in _PLAIN_METACLASSES
           for k in cls.keywords):
        return True
    return any(isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
               and s.name == "__init_subclass__" for s in cls.body)


def check_subclass_hooks(classes: list[ast.ClassDef], tree: ast.Module,
                         texts: dict[str, str]) -> None:
    """Raise when a class of classes, or one it derives from, runs code when it is defined.

    A change to such a class's body or header reaches whatever that code builds (a
    registry looked up by a key, a dispatch table), which no name of the change shows.
    Bases are followed by name through the module and the measured files.
    """
    todo, seen = list(classes), set()
    while todo:
        cls = todo.pop()
        if runs_for_subclasses(cls):
            raise ImportTimeEffect(f"class {classes[-1].name} derives from {cls.name}, "
                                   "which runs code for each subclass defined")
        for name in {_base_name(b) for b in cls.bases} - seen - {""}:
            seen.add(name)
            todo += _classes_named(name, tree, texts)


def _classes_named(name: str, tree: ast.Module, texts: dict[str, str]
                   ) -> list[ast.ClassDef]:
    pattern = re.compile(rf"\bclass\s+{re.escape(name)}\b")
    trees = [tree] + [parsed(path, text) for path, text in texts.items()
                      if name in text and pattern.search(text)]
    return [node for t in trees for node in ast.walk(t)
            if isinstance(node, ast.ClassDef) and node.name == name]


def changed_sites(tree: ast.Module, lines: set[int]) -> list[Site]:
    """Return the sites of the changed lines, each once.

    Raises:
        ImportTimeEffect: a line is part of a decorator that may register what it
            decorates.

    """
    found: dict[tuple[int, str], Site] = {}
    for line in sorted(lines):
        where = site(tree.body, line)
        if where is not None:
            check_decorators(where, line)
            found.setdefault((id(where.stmt), where.kind), where)
    return list(found.values())


@functools.lru_cache(maxsize=256)
def parsed(path: str, text: str) -> ast.Module:
    """Parse a file once per content: every candidate of a run asks about the same files."""
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError) as exc:
        raise ImportTimeEffect(f"{path} does not parse") from exc


Ran = Callable[[str, range], set[int]]
"""(file, lines) -> indices of the tests that ran any of them (-1: at import time)."""


@dataclass
class Reach:
    """The tests an import-time change reaches: node indices, and test files whole."""

    tests: set[int] = field(default_factory=set)
    files: set[str] = field(default_factory=set)


def words(text: str, name: str) -> Iterator[int]:
    """Yield the lines of text where name appears as a word, in code, strings or comments."""
    pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
    for number, line in enumerate(text.splitlines(), start=1):
        if name in line and pattern.search(line):
            yield number


def readers(names: set[str], texts: dict[str, str], ran: Ran,
            stale: frozenset[str] = frozenset(), *, test_files: Set[str] = frozenset()
            ) -> Reach:
    """Return the tests that ran a line reading any of names, followed through import time.

    Args:
        names: Names the change binds (before or after it).
        texts: Every measured file's text, as the map recorded it.
        ran: Which tests ran lines of a file.
        stale: Files changed since the map was recorded: its lines are not theirs.
        test_files: The test modules the map ran tests of.

    Raises:
        ImportTimeEffect: a reading line runs at import where its effect cannot be
            followed (a function run at import, a statement that does more than bind,
            a module imported by a test rather than at collection), or a file that
            names one does not parse or changed since the map.

    """
    reach = Reach()
    pending, seen = set(names), set()
    ever_ran: dict[str, bool] = {}
    while pending:
        name = pending.pop()
        seen.add(name)
        for path, text in texts.items():
            found = list(words(text, name)) if name in text else []
            if not found:
                continue
            if path in stale:
                raise ImportTimeEffect(f"{path} names {name} and changed since the map")
            if path not in ever_ran:
                ever_ran[path] = bool(ran(path, range(1, text.count("\n") + 2)))
            if not ever_ran[path]:
                continue  # no line of it ever ran: nothing there reads anything
            for line in found:
                where = site(parsed(path, text).body, line)
                if where is None:
                    continue
                lines = range(line, line + 1) if where.kind == "body" else where.span()
                tests = ran(path, lines)
                if -1 not in tests:
                    if tests and where.kind != "body":
                        raise ImportTimeEffect(f"{path} ran its top level inside a test")
                    reach.tests |= tests
                elif where.kind == "body":
                    raise ImportTimeEffect(f"{path}:{line} reads {name} in a function run "
                                           "at import")
                elif path in test_files:
                    reach.files.add(path)
                else:
                    check_decorators(where, line)
                    pending |= where.binds(name) - seen
                    reach.tests |= ran(path, where.body()) - {-1}
    return reach


def _calls_at_import(tree: ast.Module) -> bool:
    """Return whether a module calls anything at import: decorators and defaults count."""
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            stack.extend([*node.decorator_list, *node.args.defaults,
                          *(d for d in node.args.kw_defaults if d is not None)])
        elif isinstance(node, (ast.Call, ast.Await)):
            return True
        elif not isinstance(node, ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))
    return False


def _imports_module(tree: ast.Module, name: str) -> bool:
    """Return whether a module imports one whose last dotted part is name."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] == name:
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                alias.name.split(".")[-1] == name for alias in node.names):
            return True
    return False


def _tree(path: str, texts: dict[str, str]) -> ast.Module:
    if path not in texts:
        raise ImportTimeEffect(f"{path} cannot be read")
    return parsed(path, texts[path])


def collected_only(test_files: list[str], first_imports: dict[str, list[str]],
                   texts: dict[str, str], where: str) -> set[str]:
    """Return the test files to run whole for a function their collection alone ran.

    pytest imports a test module to collect it, and a parameter or a constant built
    there by calling the code under test holds what the function returned for that
    file's tests only, as long as nothing else keeps it: the module's top level only
    binds names, no other file imports the module, and the files its collection
    imported first call nothing at import (they could have called the function and
    kept the result for every test that imports them later).

    Args:
        test_files: The test files whose collection ran the function (empty: other
            import-time code ran it too, ``CoverageMap.collected_by``).
        first_imports: Per test file, the files its collection imported first.
        texts: Every measured file's text, as the map recorded it.
        where: The changed line, for the message.

    Raises:
        ImportTimeEffect: other import-time code ran the function, or what a test
            file's collection built may outlive it.

    """
    if not test_files:
        raise ImportTimeEffect(f"{where} runs in a function called at import")
    for test_file in test_files:
        for stmt in _tree(test_file, texts).body:
            binds(stmt)
        stem = test_file.rsplit("/", 1)[-1].removesuffix(".py")
        for path, text in texts.items():
            if path != test_file and stem in text and any(words(text, stem)) and \
                    _imports_module(parsed(path, text), stem):
                raise ImportTimeEffect(f"{path} imports {test_file}, whose collection "
                                       f"ran {where}")
        for path in first_imports.get(test_file, []):
            if path != test_file and _calls_at_import(_tree(path, texts)):
                raise ImportTimeEffect(f"{path}, imported while collecting {test_file}, "
                                       f"calls code at import that may run {where}")
    return set(test_files)
