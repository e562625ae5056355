"""Edits for a name a module no longer has: code written for another Python.

A test that fails with ``module 'collections' has no attribute 'Sequence'`` or ``cannot
import name 'Mapping' from 'collections'`` runs code older than its interpreter: the
name moved (to ``collections.abc``), became a builtin (numpy's ``np.float``), or was
replaced by a close name of the same module (``inspect.getargspec`` by
``getfullargspec``) or by one no similarity finds, which the standard library's own
history tells (``time.clock`` by ``time.perf_counter``). Each use of it, ``M.A``
through whatever name M is imported as or ``from M import A``, is rewritten to where
the name is now. Only the standard library is looked into, in healloop's own
interpreter: importing a package of the project's environment would run its code
here; the tests then say whether the new home is right for theirs.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import importlib
import pkgutil
import sys
import warnings
from collections.abc import Iterator
from functools import cache
from types import ModuleType

from healloop.repair.edits import Edit
from healloop.repair.hints import Hints
from healloop.repair.program import Program

_SUBMODULES = 40
"""Submodules of a package looked into for a name it lacks, at most."""
_NEVER_IMPORTED = frozenset({"antigravity", "this", "idlelib", "turtledemo", "tkinter",
                             "ensurepip", "venv", "lib2to3", "pydoc_data"})
"""Standard modules whose import does something (opens a browser, prints) or needs a GUI."""


_RENAMED = {
    ("time", "clock"): ".perf_counter",
    ("base64", "encodestring"): ".encodebytes",
    ("base64", "decodestring"): ".decodebytes",
    ("string", "letters"): ".ascii_letters",
    ("string", "lowercase"): ".ascii_lowercase",
    ("string", "uppercase"): ".ascii_uppercase",
    ("sys", "maxint"): ".maxsize",
    ("os", "getcwdu"): ".getcwd",
    ("itertools", "izip"): "zip",
    ("itertools", "imap"): "map",
    ("itertools", "ifilter"): "filter",
    ("itertools", "izip_longest"): ".zip_longest",
    ("itertools", "ifilterfalse"): ".filterfalse",
    ("types", "StringType"): "str",
    ("types", "IntType"): "int",
    ("types", "ListType"): "list",
    ("types", "DictType"): "dict",
}
"""Names the standard library renamed in the same module or made builtins, whose new
name no similarity finds (`time.clock` → `time.perf_counter`, removed in 3.8)."""


def moved_edits(program: Program, hints: Hints) -> Iterator[tuple[float, Edit]]:
    """Yield (priority, edit) rewriting each use of a name its module lacks."""
    for module, name in hints.lacking:
        homes = _homes(module, name)
        if homes:
            yield from _attribute_uses(program, module, name, homes)
            yield from _from_imports(program, module, name, homes)


@cache
def _homes(module: str, name: str) -> tuple[tuple[str, float], ...]:
    """Where a name that module lacks may be now, with the prior of each.

    ``.abc.Sequence`` (a submodule has it), ``float`` (a builtin of the name) or
    ``.getfullargspec`` (a close name of the module's own); a leading dot is
    relative to the module.
    """
    found: list[tuple[str, float]] = []
    if (module, name) in _RENAMED:
        found.append((_RENAMED[module, name], 0.95))
    own = _standard(module)
    if own is not None:
        for dotted, sub in _submodules(module, own):
            if hasattr(sub, name):
                found.append((dotted[len(module):] + "." + name, 0.95))
        public = [w for w in dir(own) if not w.startswith("_")]
        for rank, word in enumerate(difflib.get_close_matches(name, public, n=2, cutoff=0.75)):
            found.append(("." + word, 0.85 - 0.1 * rank))
    if isinstance(getattr(builtins, name, None), type):
        found.append((name, 0.9))
    return tuple(dict.fromkeys(found))


def _standard(module: str) -> ModuleType | None:
    """Import a module of the standard library, or return None."""
    top = module.split(".")[0]
    if top not in sys.stdlib_module_names or top in _NEVER_IMPORTED:
        return None
    try:
        with warnings.catch_warnings():  # `cgi` is deprecated: no word of it in the run
            warnings.simplefilter("ignore")
            return importlib.import_module(module)
    except Exception:  # noqa: BLE001 - a platform's module (winreg) fails as it likes
        return None


def _submodules(name: str, package: ModuleType) -> Iterator[tuple[str, ModuleType]]:
    infos = list(pkgutil.iter_modules(getattr(package, "__path__", [])))[:_SUBMODULES]
    for info in infos:
        if not info.name.startswith("_"):
            dotted = f"{name}.{info.name}"
            sub = _standard(dotted)
            if sub is not None:
                yield dotted, sub


def _bindings(program: Program) -> dict[str, tuple[str, ast.stmt]]:
    """Map the text a module is read through (``np``, ``os.path``) to it and its import."""
    bound: dict[str, tuple[str, ast.stmt]] = {}
    for node in ast.walk(program.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bound[alias.asname] = (alias.name, node)
                else:
                    parts = alias.name.split(".")
                    for end in range(1, len(parts) + 1):
                        dotted = ".".join(parts[:end])
                        bound.setdefault(dotted, (dotted, node))
    return bound


def _imports_module(program: Program, module: str) -> bool:
    return any(isinstance(n, ast.Import) and any(a.name == module for a in n.names)
               for n in ast.walk(program.tree))


def _attribute_uses(program: Program, module: str, name: str,
                    homes: tuple[tuple[str, float], ...]) -> Iterator[tuple[float, Edit]]:
    """`collections.Sequence` → `collections.abc.Sequence` at every use, and its import."""
    bound = _bindings(program)
    uses = [n for n in ast.walk(program.tree) if isinstance(n, ast.Attribute)
            and n.attr == name and bound.get(program.text(n.value), ("",))[0] == module]
    if not uses:
        return
    # Each use through the name it reads the module by (`collections`, or `c` of
    # `import collections as c`).
    spans = sorted((*program.span(n), program.text(n.value)) for n in uses)
    via = spans[0][2]
    statement = bound[via][1]
    for home, prior in homes:
        new = f"{via}{home}" if home.startswith(".") else home
        pieces: list[tuple[int, int, str]] = [
            (a, b, f"{owner}{home}" if home.startswith(".") else home) for a, b, owner in spans]
        submodule = home.rsplit(".", 1)[0]
        if home.startswith(".") and submodule and not _imports_module(
                program, module + submodule):
            # `collections.abc` is an attribute only once something imported it.
            at = program.span(statement)[1]
            if at > spans[0][0]:
                continue  # an import below a use: no place for the new one
            pieces.insert(0, (at, at, f"\n{program.indent_of(statement)}import "
                                      f"{module}{submodule}"))
        said = f"`{via}.{name}` → `{new}`"
        if len(pieces) > len(spans):
            said += f", with `import {module}{submodule}`"
        yield prior, _replaced(program, pieces, prior, said)


def _from_imports(program: Program, module: str, name: str,
                  homes: tuple[tuple[str, float], ...]) -> Iterator[tuple[float, Edit]]:
    """`from collections import Mapping` → `from collections.abc import Mapping`.

    The names imported beside it stay where they were; a close name keeps the local
    one (`from inspect import getfullargspec as getargspec`).
    """
    for node in ast.walk(program.tree):
        if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == module):
            continue
        mine = [a for a in node.names if a.name == name]
        if not mine:
            continue
        alias = mine[0]
        local = alias.asname or alias.name
        others = [a for a in node.names if a is not alias]
        kept = ", ".join(a.name if not a.asname else f"{a.name} as {a.asname}" for a in others)
        indent = program.indent_of(node)
        for home, prior in homes:
            if home.startswith("."):
                where, _, word = home.rpartition(".")
                named = word if word == local else f"{word} as {local}"
                moved = f"from {module}{where} import {named}"
            else:  # a builtin: nothing to import, the local name kept if it differs
                moved = "" if local == home else f"{local} = {home}"
            lines = [f"from {module} import {kept}"] if others else []
            lines += [moved] if moved else []
            text = f"\n{indent}".join(lines) or "pass"
            start, end = program.span(node)
            yield prior, _replaced(program, [(start, end, text)], prior, "")


def _replaced(program: Program, pieces: list[tuple[int, int, str]], weight: float,
              said: str) -> Edit:
    """One edit from the first piece's start to the last's end, each piece replaced."""
    pieces = sorted(pieces)
    start, end = pieces[0][0], pieces[-1][1]
    out, last = [], start
    for a, b, text in pieces:
        out += [program.source[last:a], text]
        last = b
    out.append(program.source[last:end])
    line = program.source.count("\n", 0, pieces[-1][0]) + 1
    return Edit("identifier", start, end, "".join(out), line, program.source[start:end], weight,
                said)
