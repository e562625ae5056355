"""A fast pass over one module: what it imports and what it defines at the top.

The import graph needs every file of the repository, but only its import statements,
its top-level names and ``__all__``. Building a full syntax tree of each file costs
seconds on a large repository (sqlalchemy has 20 MB of Python), so this pass finds the
few lines that matter with regular expressions, skipping triple-quoted strings, and
hands only the import statements to the parser. The full tree is built later, and
only for the files whose symbol uses or tests an analysis needs.
"""

from __future__ import annotations

import ast
import bisect
import functools
import re
from dataclasses import dataclass, field

from healloop.state import SymbolKind

_TRIPLE = re.compile(r'"""|\'\'\'')
# Every pattern starts with a literal newline (the text is scanned with one prepended),
# which lets the regex engine skip ahead instead of trying every position.
_BLOCKS = {"if", "elif", "else", "try", "except", "finally", "with", "for", "while"}
# A form feed may open a line: Python counts the indentation after it.
_IMPORT = re.compile(r"\n([ \t\f]*)(?:from[ \t]+\.*[\w.]*(?:[ \t]|\\\n)+import\b|import[ \t]+\w)")
# An import may follow a block's header on its line (``if TYPE_CHECKING: import x``):
# found from the colon, rare enough that looking for it costs little.
_AFTER_COLON = re.compile(r":[ \t]*(?=from[ \t]+\.*[\w.]*[ \t]+import\b|import[ \t]+\w)")
_HEADER = re.compile(r"([ \t\f]*)(" + "|".join(sorted(_BLOCKS)) + r"|def|class)\b")
_DEF_AT = r"\n([ \t]{%s})(?:async[ \t]+def|def|class)[ \t]+(\w+)"
_ASSIGN_AT = r"\n([ \t]{%s})([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=(?!=)"
_UNPACK_AT = r"\n([ \t]{%s})(?:\(|\[|[A-Za-z_]\w*[ \t]*,)"
# Definitions at the top or one level in; deeper ones are looked for only inside
# top-level blocks (see ``_definitions``), since most indented lines are in functions.
_DEF, _ASSIGN, _UNPACK = (re.compile(p % "0,4") for p in (_DEF_AT, _ASSIGN_AT, _UNPACK_AT))
_DEEP = [re.compile(p % "5,16") for p in (_DEF_AT, _ASSIGN_AT, _UNPACK_AT)]
_CHAINED = re.compile(r"[ \t]*([A-Za-z_]\w*)[ \t]*=(?!=)")
_ALL = re.compile(r"\n__all__[ \t]*(\+=|=|:[^=\n]*=|\.extend\(|\.append\()")
_TOP = re.compile(r"\n\f*(?:async[ \t]+)?([A-Za-z_]\w*)")
_PLUGINS = re.compile(r"\npytest_plugins[ \t]*(?::[^=\n]*)?=[ \t]*")
_DYNAMIC = re.compile(r"\b(?:import_module|__import__)\([ \t]*(f?)(['\"])(\.*[\w.]*)(\{|\2)")
SUBMODULES = "?"
"""The ``attr`` of an import of a submodule named at run time: ``import_module(f"pkg.{x}")``."""


@dataclass
class ImportRef:
    """One name an import statement binds in a module."""

    bound: str
    """The local name it binds ('' for a star import, or the loaded module of
    ``import a.b`` beside the binding of ``a``)."""
    module: str
    """The absolute module imported from (or imported)."""
    attr: str | None
    """For ``from m import a``: 'a' ('*' for a star import); None for ``import m``."""
    line: int
    top: bool
    """Whether the import runs when the module is imported (not inside a function)."""


@dataclass
class Head:
    """What one module imports and defines at its top level."""

    imports: list[ImportRef] = field(default_factory=list)
    definitions: dict[str, SymbolKind] = field(default_factory=dict)
    all_names: list[str] | None = None


class _Source:
    """A module's text with its triple-quoted strings and top-level statements located."""

    def __init__(self, text: str) -> None:
        self.text = "\n" + text  # see the patterns: positions count this newline
        self.strings = self._strings()
        self.tops = [(m.start(), m.group(1)) for m in _TOP.finditer(self.text)
                     if not self.in_string(m.start())]
        self.top_starts = [p for p, _ in self.tops]
        self._last = (0, 0)

    def _strings(self) -> list[tuple[int, int]]:
        spans, opened, delim = [], -1, ""
        for m in _TRIPLE.finditer(self.text):
            if opened < 0:
                # A triple quote after a comment mark, or inside a one-line string
                # of the other kind of quote, opens nothing. What a string closed
                # earlier on the line held is no code to ask.
                line = self.text.rfind("\n", 0, m.start()) + 1
                before = self.text[max(line, spans[-1][1] if spans else 0):m.start()]
                if _in_text(before):
                    continue
                opened, delim = m.start(), m.group()
            elif m.group() == delim and self.text[m.start() - 1] != "\\":
                spans.append((opened, m.end()))
                opened = -1
        if opened >= 0:
            spans.append((opened, len(self.text)))
        return spans

    def in_string(self, pos: int) -> bool:
        i = bisect.bisect_right(self.strings, (pos, len(self.text) + 1)) - 1
        return i >= 0 and self.strings[i][0] < pos < self.strings[i][1]

    def line_of(self, pos: int) -> int:
        """Return the line of pos; fastest when positions are asked in increasing order."""
        last_pos, last_line = self._last
        if pos < last_pos:
            last_pos, last_line = 0, 0
        line = last_line + self.text.count("\n", last_pos, pos)
        self._last = (pos, line)
        return line

    def code_before(self, pos: int) -> str | None:
        """Return pos's line up to pos, or None when pos is in a string or a comment."""
        if self.in_string(pos):
            return None
        prefix = self.text[self.text.rfind("\n", 0, pos) + 1:pos]
        if ("'" in prefix or '"' in prefix or "#" in prefix) and _in_text(prefix):
            return None
        return prefix

    def enclosing(self, pos: int) -> str | None:
        """Return the keyword of the top-level statement an indented line belongs to."""
        i = bisect.bisect_right(self.top_starts, pos) - 1
        return self.tops[i][1] if i >= 0 else None


@functools.lru_cache(maxsize=4)
def _located(text: str) -> _Source:
    """Return text located once for the passes that read the same file in turn."""
    return _Source(text)


def _in_text(line: str) -> bool:
    """Return whether the end of this line prefix is in a string's text or a comment.

    The replacement field of an f-string is code: ``f"{click.format_filename(p)}"``
    reads ``click``.
    """
    quote, fstring, depth, i = "", False, 0, 0
    while i < len(line):
        ch = line[i]
        if quote and not depth:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
            elif fstring and ch == "{":
                if line[i + 1:i + 2] == "{":
                    i += 1
                else:
                    depth = 1
        elif quote:  # in a field
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch in "'\"" and ch != quote:
                end = line.find(ch, i + 1)  # a string inside the field
                if end < 0:
                    return True
                i = end
        elif ch in "'\"":
            quote = ch
            start = i
            while start and line[start - 1].isalpha():
                start -= 1
            letters = line[start:i].lower()  # the string's prefix: f, rf, fr...
            fstring = "f" in letters and len(letters) <= 2 and set(letters) <= set("rf")
        elif ch == "#":
            return True
        i += 1
    return bool(quote) and not depth


def _statement(text: str, start: int) -> str:
    """Return the import statement starting at start, across brackets and backslashes."""
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    line = text[start:end]
    if "(" in line.split("#", 1)[0] and ")" not in line.split("#", 1)[0]:
        # The closing bracket is the first outside a comment ("# see f(x)" is not it).
        while end < len(text):
            nxt = text.find("\n", end + 1)
            nxt = len(text) if nxt < 0 else nxt
            code = text[end + 1:nxt].split("#", 1)[0]
            if ")" in code:
                end = end + 1 + code.index(")") + 1
                break
            end = nxt
    else:
        while line.rstrip().endswith("\\") and end < len(text):
            nxt = text.find("\n", end + 1)
            nxt = len(text) if nxt < 0 else nxt
            line = text[end + 1:nxt]
            end = nxt
    return text[start:end]


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_refs(node: ast.Import | ast.ImportFrom, module: str, is_package: bool,
                line: int, top: bool) -> list[ImportRef]:
    """Return the bindings of one import statement of module."""
    refs = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                refs.append(ImportRef(alias.asname, alias.name, None, line, top))
                continue
            root = alias.name.split(".")[0]
            if "." in alias.name:
                refs.append(ImportRef("", alias.name, None, line, top))
            refs.append(ImportRef(root, root, None, line, top))
        return refs
    source = _absolute(node, module, is_package)
    for alias in node.names:
        if alias.name == "*":
            refs.append(ImportRef("", source, "*", line, top))
        else:
            refs.append(ImportRef(alias.asname or alias.name, source, alias.name, line, top))
    return refs


def _literal_list(text: str, start: int) -> list[str] | None:
    """Return the list of strings written at text[start:], or None if not literal."""
    depth, i = 0, start
    while i < len(text):
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                i += 1
                break
        elif ch == "\n" and depth == 0:
            break
        i += 1
    try:
        value = ast.literal_eval(text[start:i].strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def scan(text: str, module: str, is_package: bool) -> Head:
    """Return the imports, top-level definitions and ``__all__`` of one module's text."""
    src = _Source(text)
    text = src.text
    head = Head()
    found: list[tuple[int, bool]] = []  # where each import statement starts, and top
    for m in _IMPORT.finditer(text):
        start = m.start() + 1 + len(m.group(1))
        if src.in_string(start) or (m.start() and text[m.start() - 1] == "\\"):
            continue  # in a string, or on a continued line
        top = True
        if m.group(1).rsplit("\f", 1)[-1]:
            top = src.enclosing(start) in _BLOCKS
        found.append((start, top))
    for m in _AFTER_COLON.finditer(text):
        prefix = src.code_before(m.start())
        header = _HEADER.match(prefix) if prefix is not None else None
        if header is None:
            continue
        indent, word = header.groups()
        top = word != "def" and (not indent.rsplit("\f", 1)[-1]
                                 or src.enclosing(m.start()) in _BLOCKS)
        found.append((m.end(), top))
    statements = [(_statement(text, start), src.line_of(start), top)
                  for start, top in sorted(found)]
    _parse_imports(statements, module, is_package, head)
    _dynamic_imports(src, module, is_package, head)
    _definitions(src, [(_DEF, _ASSIGN, _UNPACK, 0, len(text))], head)
    ends = [p for p, _ in src.tops[1:]] + [len(text)]
    blocks = [(start, end) for (start, word), end in zip(src.tops, ends, strict=False)
              if word in _BLOCKS]
    _definitions(src, [(*_DEEP, start, end) for start, end in blocks], head)
    for m in _ALL.finditer(text):
        if src.in_string(m.start()):
            continue
        names = _literal_list(text, m.end() - (1 if m.group(1).endswith("(") else 0))
        if m.group(1) in ("=",) or m.group(1).startswith(":"):
            head.all_names = names
        elif names is not None and head.all_names is not None:
            head.all_names = head.all_names + names
        elif names is None:
            head.all_names = None
    return head


def _dynamic_imports(src: _Source, module: str, is_package: bool, head: Head) -> None:
    """Add the modules imported by name: ``pytest_plugins`` and ``import_module("...")``.

    A conftest's plugins are imported for every test under it, and a registry that
    loads its plugins by name imports them as surely as an import statement would.
    """
    text = src.text
    # A substring test costs a fraction of a regular expression's walk over every file.
    plugins = "pytest_plugins" in text
    if not plugins and "import_module(" not in text and "__import__(" not in text:
        return
    for m in _PLUGINS.finditer(text) if plugins else ():
        if src.in_string(m.start()):
            continue
        names = _literal_list(text, m.end())
        if names is None and (single := re.match(r"(['\"])([\w.]+)\1", text[m.end():])):
            names = [single.group(2)]
        line = text.count("\n", 0, m.start() + 1)
        head.imports += [ImportRef("", name, None, line, True) for name in names or []]
    for m in _DYNAMIC.finditer(text):
        fstring, quote, name, end = m.groups()
        prefix = src.code_before(m.start())
        if prefix is None or prefix.rstrip().endswith("def") or (end == "{" and not fstring):
            continue
        level = len(name) - len(name.lstrip("."))
        if level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - (level - 1)] if level > 1 else base
            name = ".".join([*base, name[level:]]) if name[level:] else ".".join(base)
        indent = len(prefix) - len(prefix.lstrip())
        top = not indent or src.enclosing(m.start()) in _BLOCKS
        line = text.count("\n", 0, m.start() + 1)
        if end == quote and name:
            head.imports.append(ImportRef("", name.rstrip("."), None, line, top))
        elif end == "{" and name.endswith(".") and name.strip("."):
            head.imports.append(ImportRef("", name.rstrip("."), SUBMODULES, line, top))


_LINE = re.compile(r"\n([ \t]*)(?=[^\s#])")
_TEST_DEF = re.compile(r"\n([ \t]*)(?:async[ \t]+)?def[ \t]+(test\w*)")
_CLASS = re.compile(r"\n([ \t]*)class[ \t]+(\w+)[ \t]*(\([^)]*\))?")


def read_refs(text: str, roots: set[str], *, tests: bool = False
              ) -> tuple[dict[str, list[int]], dict[str, list[str]]]:
    """Return the dotted chains starting with one of roots that a module reads.

    Returns (chain -> lines, test id -> chains read in that test function); the second
    is filled only when tests is True. Strings and comments are skipped, and so are
    definitions (``def name``), keyword arguments (``name=``) and attributes of other
    objects (``x.name``). Unlike a parse, this works on a module with a syntax error.
    """
    refs: dict[str, list[int]] = {}
    per_test: dict[str, list[str]] = {}
    names = sorted((r for r in roots if r.isidentifier()), key=len, reverse=True)
    if not names:
        return refs, per_test
    src = _located(text)
    text = src.text
    spans = _test_spans(src) if tests else []
    starts = [s for s, _, _ in spans]
    pattern = re.compile(r"(?<![\w.])(?:" + "|".join(map(re.escape, names)) +
                         r")\b(?:[ \t]*\.[ \t]*[A-Za-z_]\w*)*")
    for m in pattern.finditer(text):
        pos = m.start()
        after = text[m.end():m.end() + 2]
        if after[:1] == "=" and after != "==":
            continue
        prefix = src.code_before(pos)
        if prefix is None or prefix.rstrip().endswith(("def", "class")):
            continue
        chain = m.group()
        if " " in chain or "\t" in chain:
            chain = re.sub(r"[ \t]", "", chain)
        lines = refs.setdefault(chain, [])
        line = src.line_of(pos)
        if not lines or lines[-1] != line:
            lines.append(line)
        if spans:
            i = bisect.bisect_right(starts, pos) - 1
            if i >= 0 and pos < spans[i][1]:
                for test in spans[i][2]:
                    per_test.setdefault(test, []).append(chain)
    for _, _, tests_of in spans:
        for test in tests_of:
            per_test.setdefault(test, [])
    return refs, {t: sorted(set(c)) for t, c in per_test.items()}


_ATTRIBUTE = re.compile(r"\.[ \t]*([A-Za-z_]\w*)")


def read_attributes(text: str, names: set[str]) -> dict[str, list[tuple[int, str]]]:
    """Return where text reads one of names on an object: name -> (line, receiver).

    The receiver is the name left of the dot (``ctx`` in ``ctx.find_object()``), ''
    for an expression (``f().name``). Strings, comments and import statements are
    skipped, and so is a store (``self.mode = mode``), which uses nothing.
    """
    found: dict[str, list[tuple[int, str]]] = {}
    names = names.intersection(_ATTRIBUTE.findall(text))
    if not names:
        return found
    src = _located(text)
    text = src.text
    # Starting at the dot, not at the receiver: a pattern that can start anywhere is
    # tried at every position of the file.
    pattern = re.compile(r"\.[ \t]*(" + "|".join(sorted(names)) + r")\b(?![ \t]*=[^=])")
    for m in pattern.finditer(text):
        pos = m.start(1)
        prefix = src.code_before(pos)
        if prefix is None or prefix.lstrip().startswith(("from ", "import ")):
            continue
        receiver = _RECEIVER.search(prefix)  # the line up to the name: "ctx."
        found.setdefault(m.group(1), []).append(
            (src.line_of(pos), receiver.group(1) if receiver else ""))
    return found


_RECEIVER = re.compile(r"(\w*)[ \t]*\.[ \t]*$")


_ANNOTATED = re.compile(r"(\w+)[ \t]*:[ \t]*['\"]?$")
_BOUND = re.compile(r"(\w+)[ \t]*=[ \t]*$")
_SUBCLASS = re.compile(r"[ \t]*class[ \t]+\w+[ \t]*\(")
_QUALIFIED = re.compile(r"(?:\w+[ \t]*\.[ \t]*)+$")


def typed(text: str, classes: set[str]) -> dict[str, set[str]]:
    """Return, per class, the names text binds to its instances, by annotation or call.

    ``ctx: Context``, ``def f(ctx: "Context")``, ``v = Version("1")``: what is read on
    those names is the class's; ``self`` and ``cls`` count in a file that subclasses it.
    """
    out: dict[str, set[str]] = {}
    if not classes:
        return out
    for m in re.finditer(r"\b(" + "|".join(map(re.escape, sorted(classes))) + r")\b", text):
        line = text[text.rfind("\n", 0, m.start()) + 1:m.start()]
        before = _QUALIFIED.sub("", line)  # click.core.Context: what comes before click.
        names = out.setdefault(m.group(1), set())
        if found := _ANNOTATED.search(before):
            names.add(found.group(1))
        elif text[m.end():m.end() + 1] == "(" and (found := _BOUND.search(before)):
            names.add(found.group(1))
        elif _SUBCLASS.match(line):
            names |= {"self", "cls"}
    return {cls: names for cls, names in out.items() if names}


def _test_spans(src: _Source) -> list[tuple[int, int, tuple[str, ...]]]:
    """Return (start, end, test ids) of the test functions of a module, by indentation.

    A mixin's test method has an id per collected class of the module using it.
    """
    text = src.text
    lines = [(m.start(), len(m.group(1).expandtabs(4))) for m in _LINE.finditer(text)
             if not src.in_string(m.start() + 1)]
    starts = [p for p, _ in lines]
    # pytest collects the methods of a class named Test..., or of a unittest TestCase
    # whatever its name; a mixin's methods run as those of the classes using it.
    classes = [(m.start(), m.group(2), m.group(3) or "") for m in _CLASS.finditer(text)]
    collected = {name for _, name, bases in classes
                 if name.startswith("Test") or "TestCase" in bases}
    users: dict[str, list[str]] = {}
    for _, name, bases in classes:
        if name in collected:
            for base in re.findall(r"\w+", bases):
                users.setdefault(base, []).append(name)
    classes_at = {start: [name] if name in collected else users.get(name, [])
                  for start, name, _ in classes}
    spans = []
    for m in _TEST_DEF.finditer(text):
        if src.in_string(m.start() + 1):
            continue
        indent = len(m.group(1).expandtabs(4))
        i = bisect.bisect_right(starts, m.start())
        end = len(text)
        while i < len(lines):
            if lines[i][1] <= indent:
                end = lines[i][0]
                break
            i += 1
        ids = (m.group(2),)
        if indent:
            # The block it sits in is the nearest line above that is less indented.
            j = bisect.bisect_left(starts, m.start()) - 1
            while j >= 0 and lines[j][1] >= indent:
                j -= 1
            owners = classes_at.get(lines[j][0]) if j >= 0 else None
            if not owners:
                continue  # a nested function, or a method of a helper class
            ids = tuple(f"{owner}::{m.group(2)}" for owner in owners)
        spans.append((m.start(), end, ids))
    return spans


def _definitions(src: _Source, where: list[tuple[re.Pattern[str], re.Pattern[str],
                                                  re.Pattern[str], int, int]], head: Head) -> None:
    """Add the names that defs, classes and assignments bind when the module runs."""
    text = src.text
    for defs, assigns, unpacks, start, end in where:
        for m in defs.finditer(text, start, end):
            if src.in_string(m.start()) or not _top_level(src, m):
                continue
            kind: SymbolKind = "class" if "class" in m.group(0).split()[0] else "function"
            head.definitions.setdefault(m.group(2), kind)
        for m in assigns.finditer(text, start, end):
            name = m.group(2)
            if name in ("if", "elif", "while", "return", "assert", "print") or \
                    src.in_string(m.start()) or not _top_level(src, m):
                continue
            names = [name]
            after = m.end()
            while chained := _CHAINED.match(text, after):  # s = attributes = attrs
                names.append(chained.group(1))
                after = chained.end()
            for name in names:
                head.definitions.setdefault(name, "constant" if name.isupper() else "attribute")
        for m in unpacks.finditer(text, start, end):
            if src.in_string(m.start()) or not _top_level(src, m):
                continue
            for name in _unpacked(text, m.start() + 1 + len(m.group(1))):
                head.definitions.setdefault(name, "constant" if name.isupper() else "attribute")


def _unpacked(text: str, start: int) -> list[str]:
    """Return the names ``A, B = ...`` or ``(A, B) = ...`` at start binds; [] if none."""
    depth, i = 0, start
    while i < len(text):
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "=" and not depth:
            if text[i + 1:i + 2] == "=" or text[i - 1] in "<>!=:":
                return []
            break
        elif ch in "\n#" and not depth or ch in "'\":;" or depth < 0:
            return []  # the statement ends, or is not a plain target list
        i += 1
    try:
        tree = ast.parse(text[start:i].strip() + " = 0")
    except (SyntaxError, ValueError):
        return []
    target = tree.body[0].targets[0] if isinstance(tree.body[0], ast.Assign) else None
    if not isinstance(target, (ast.Tuple, ast.List)):
        return []
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _top_level(src: _Source, m: re.Match[str]) -> bool:
    """Return whether the statement at m runs when the module is imported.

    At the top, or under top-level blocks only (``if``/``try``/``with``... nested in
    one another): conditional definitions, not the body of a function or class.
    """
    indent = len(m.group(1).expandtabs(4))
    if not indent:
        return True
    if src.enclosing(m.start()) not in _BLOCKS:
        return False
    text, pos = src.text, m.start()
    while True:  # each less indented line above, up to the top, must open a block
        pos = text.rfind("\n", 0, pos)
        if pos < 0:
            return True
        end = text.find("\n", pos + 1)
        line = text[pos + 1:end if end >= 0 else None]
        code = line.lstrip()
        if not code or code.startswith("#") or src.in_string(pos + 1):
            continue
        level = len(line[:len(line) - len(code)].expandtabs(4))
        if level >= indent:
            continue
        if not level:
            return True
        if code.split(None, 1)[0].rstrip(":") not in _BLOCKS:
            return False
        indent = level


def _parse_imports(statements: list[tuple[str, int, bool]], module: str, is_package: bool,
                   head: Head) -> None:
    """Parse every import statement at once; fall back to one by one on a syntax error."""
    if not statements:
        return
    joined, offsets, line = [], [], 1
    for text, _, _ in statements:
        offsets.append(line)
        joined.append(text)
        line += text.count("\n") + 1
    try:
        tree = ast.parse("\n".join(joined))
        parsed = [(node, bisect.bisect_right(offsets, node.lineno) - 1) for node in tree.body]
    except (SyntaxError, ValueError):
        parsed = []
        for i, (text, _, _) in enumerate(statements):
            try:
                parsed.extend((node, i) for node in ast.parse(text).body)
            except (SyntaxError, ValueError):
                continue
    for node, i in parsed:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            _, real_line, top = statements[i]
            head.imports.extend(import_refs(node, module, is_package, real_line, top))
