"""What the failing tests' own error messages say about the fix.

A failing test's message often names the defect outright: ``DID NOT RAISE <class
'ValueError'>`` (a raise is missing), ``OverflowError: cannot convert float infinity``
(an exception escaped that a handler should catch), ``'set' object has no attribute
'issupserset'`` (a misspelt name), ``module 'collections' has no attribute
'Sequence'`` (a name the module no longer has), ``assert 'PT5M25M' == 'PT5H25M'`` (a
literal that writes one piece wrong), ``> assert get([], 'AB') == ()`` (the value a
call should return, from the test's own line). Spectrum localisation and generic operators would
reach such a fix late or never; the message makes it one of the first candidates.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

_NOT_RAISED = (
    re.compile(r"DID NOT RAISE (?:<class ')?((?:[\w.]+\.)?\w+)"),
    re.compile(r"DID NOT RAISE \(([^)]*)\)"),
    re.compile(r"AssertionError: (\w+) not raised"),
)
_WRONG_MESSAGE = (
    re.compile(r'AssertionError: "(.+?)" does not match "'),  # unittest's assertRaisesRegex
    re.compile(r"^E?\s*(?:Expected regex|Regex): '(.+?)'\s*$", re.MULTILINE),  # pytest.raises
)
_MATCH = re.compile(r"""^>.*\braises\(.*\bmatch=r?(?:"([^"]*)"|'([^']*)')""", re.MULTILINE)
_EXPECTED_CLASS = re.compile(
    r"(?:\braises|assertRaisesRegexp?|assertRaisesRegex)\(\s*(?:[\w.]+\.)?(\w+)\s*,")
_ESCAPED = re.compile(r"^E\s+(?:[\w.]+\.)?(\w+(?:Error|Exception|Exit|Warning))\b(?::|$)",
                      re.MULTILINE)
_ESCAPED_LAST = re.compile(r"^(?:[\w.]+\.)?(\w+(?:Error|Exception))(?::|$)", re.MULTILINE)
_NO_ATTRIBUTE = re.compile(
    r"(?:'(\w+)' object|module '[\w.]+'|type object '\w+') has no attribute '(\w+)'")
_NOT_DEFINED = re.compile(r"name '(\w+)' is not defined")
_MODULE_LACKS = re.compile(r"module '([\w.]+)' has no attribute '(\w+)'")
_CANNOT_IMPORT = re.compile(r"cannot import name '(\w+)' from '([\w.]+)'")
_GENERATOR_STOPPED = "generator raised StopIteration"
_QUOTED = r"""('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
_STRINGS_DIFFER = re.compile(rf"^E\s+(?:AssertionError: )?assert {_QUOTED} == {_QUOTED}\s*$",
                             re.MULTILINE)


@dataclass
class Hints:
    """Defects named by the failing tests' messages."""

    not_raised: list[str] = field(default_factory=list)
    """Exception classes a test expected and that were not raised."""
    escaped: list[str] = field(default_factory=list)
    """Exception classes that ended a failing test, not counting assertions."""
    missing_attributes: list[tuple[str, str]] = field(default_factory=list)
    """(type name or '', attribute) pairs an AttributeError named."""
    undefined: list[str] = field(default_factory=list)
    """Names a NameError named."""
    lacking: list[tuple[str, str]] = field(default_factory=list)
    """(module, name) pairs: a module had no such attribute, or no such name to import."""
    stopped: bool = False
    """A generator let StopIteration out, which Python 3.7 made a RuntimeError (PEP 479)."""
    strings: list[tuple[str, str]] = field(default_factory=list)
    """(one, other) strings an assertion found different: one side is what the code made."""
    messages: list[str] = field(default_factory=list)
    """Messages a test expected of a raise that said something else (its pattern, as text)."""
    expected: list[tuple[str, str]] = field(default_factory=list)
    """(function, literal) pairs: a failing test's line expects the call to return it."""
    characters: list[str] = field(default_factory=list)
    """Control characters (a line break, a tab) in the failing tests' own strings."""
    words: list[str] = field(default_factory=list)
    """Strings the failing tests' own lines write (`bf("Jupiter", "Neptune")`)."""

    @property
    def none_attributes(self) -> set[str]:
        """Attributes read on None: ``'NoneType' object has no attribute 'x'``."""
        return {attribute for owner, attribute in self.missing_attributes
                if owner == "NoneType"}

    def __bool__(self) -> bool:
        return bool(self.not_raised or self.escaped or self.missing_attributes
                    or self.undefined or self.lacking or self.stopped or self.strings
                    or self.messages or self.expected or self.words)


def read(messages: Iterable[str]) -> Hints:
    """Return the hints in the messages of failing tests."""
    hints = Hints()
    for message in messages:
        for pattern in _NOT_RAISED:
            for match in pattern.finditer(message):
                for name in re.findall(r"(?:[\w.]+\.)?(\w+)'?(?:>|,|$)", match.group(1)):
                    _add(hints.not_raised, name)
        if any(p.search(message) for p in _NOT_RAISED):
            for pattern in ("".join(groups) for groups in _MATCH.findall(message)):
                if pattern and not re.search(r"[\^$*+?{}\[\]|()\\]", pattern):
                    _add(hints.messages, pattern)  # the raise's message is the test's match=
            continue
        if _wrong_message(hints, message):
            continue
        escaped = _ESCAPED.findall(message) or _ESCAPED_LAST.findall(message)
        for name in escaped[-1:]:
            if name not in ("AssertionError", "Failed") and _is_exception(name):
                _add(hints.escaped, name)
        for owner, attribute in _NO_ATTRIBUTE.findall(message):
            _add(hints.missing_attributes, (owner, attribute))
        for name in _NOT_DEFINED.findall(message):
            _add(hints.undefined, name)
        for module, name in _MODULE_LACKS.findall(message):
            _add(hints.lacking, (module, name))
        for name, module in _CANNOT_IMPORT.findall(message):
            _add(hints.lacking, (module, name))
        hints.stopped = hints.stopped or _GENERATOR_STOPPED in message
        for one, other in _STRINGS_DIFFER.findall(message):
            try:
                pair = (ast.literal_eval(one), ast.literal_eval(other))
            except (ValueError, SyntaxError):
                continue
            _add(hints.strings, pair)
        for pair in _expectations(message):
            _add(hints.expected, pair)
        for word in _test_words(message):
            _add(hints.words, word)
    return hints


def _failed_lines(message: str) -> Iterator[ast.AST]:
    """Yield every node of the test's lines that failed (the lines pytest marks `>`)."""
    for line in re.findall(r"^>\s+(.+)$", message, re.MULTILINE):
        try:
            yield from ast.walk(ast.parse(line.strip()))
        except SyntaxError:
            continue


def _test_words(message: str) -> Iterator[str]:
    """Yield the strings of three to 40 characters on the test's lines that failed."""
    for node in _failed_lines(message):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
            3 <= len(node.value) <= _LITERAL_CHARS
        ):
            yield node.value


_EQUALITY_ASSERTS = {"assertEqual", "assertEquals", "assertIs", "assertTupleEqual",
                     "assertListEqual", "assertDictEqual", "assertSetEqual", "assert_equal"}
_LITERAL_CHARS = 40
"""Longest literal taken for a value to return: longer ones describe one input's output."""


def _expectations(message: str) -> Iterator[tuple[str, str]]:
    """Yield (function, literal) for the test's lines comparing a call with a literal.

    The lines pytest marks with ``>`` are the statements that failed, the test's own
    first: ``assert get([], 'AB') == ()``, ``self.assertEqual(first([]), None)``,
    ``assert f(x) is None``. Each side that is a call of a named function, compared
    with a plain literal, says what that call should have returned.
    """
    for node in _failed_lines(message):
        pairs: list[tuple[ast.expr, ast.expr]] = []
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(
                node.ops[0], ast.Eq | ast.Is):
            pairs = [(node.left, node.comparators[0]), (node.comparators[0], node.left)]
        elif isinstance(node, ast.Call) and _called(node) in _EQUALITY_ASSERTS and len(
                node.args) >= 2:
            pairs = [(node.args[0], node.args[1]), (node.args[1], node.args[0])]
        elif isinstance(node, ast.Call) and _called(node) == "assertIsNone" and node.args:
            pairs = [(node.args[0], ast.Constant(None))]
        for call, literal in pairs:
            if isinstance(call, ast.Call) and _called(call) and _is_literal(literal):
                text = ast.unparse(literal)
                if len(text) <= _LITERAL_CHARS:
                    yield _called(call), text


def _called(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else (
        func.attr if isinstance(func, ast.Attribute) else "")


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _wrong_message(hints: Hints, message: str) -> bool:
    """Read "raised, but not with this message": the raise the test meant is missing.

    The exception class comes from the test's own line the report shows
    (`pytest.raises(ValueError, match=...)`, `assertRaisesRegex(ValueError, ...)`); the
    expected pattern becomes the message when it is plain text.
    """
    for pattern in _WRONG_MESSAGE:
        match = pattern.search(message)
        if match is None:
            continue
        expected = _EXPECTED_CLASS.search(message)
        if expected is None or not _is_exception(expected.group(1)):
            return False
        _add(hints.not_raised, expected.group(1))
        text = re.sub(r"\\(.)", r"\1", match.group(1))
        if not re.search(r"[\^$*+?{}\[\]|()]", match.group(1).replace("\\", "")):
            _add(hints.messages, text)
        return True
    return False


def _is_exception(name: str) -> bool:
    builtin = getattr(builtins, name, None)
    if isinstance(builtin, type):
        return issubclass(builtin, BaseException)
    return name.endswith(("Error", "Exception"))


def _add(items: list, item: object) -> None:
    if item not in items:
        items.append(item)


def control_characters(repo: Path, nodeids: Iterable[str]) -> list[str]:
    """Return the control characters the failing tests' own string literals hold.

    A test that expects a raise for a comment of two lines shows the input to reject
    only in its body, which its message does not show: the check may be whether the
    comment holds a line break.
    """
    found: list[str] = []
    trees: dict[str, ast.Module | None] = {}
    for nodeid in nodeids:
        path, *names = nodeid.split("[")[0].split("::")
        if path not in trees:
            try:
                trees[path] = ast.parse((repo / path).read_text(encoding="utf-8"))
            except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
                trees[path] = None
        node: ast.AST | None = trees[path]
        for name in names:
            node = next((n for n in getattr(node, "body", []) if isinstance(
                n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and n.name == name),
                None)
        if node is None or node is trees[path]:
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                for char in sub.value:
                    if not char.isprintable() and char != " ":
                        _add(found, char)
    return found[:3]
