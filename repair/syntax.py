"""Repair of code that does not parse: small edits where the parser gave up.

Python's parser says where it stopped and, since 3.10, often what it expected
("expected ':'", "'(' was never closed", "Perhaps you forgot a comma?"). Each error
gets a handful of edits at that place, those the message asks for first, then the
usual slips (a missing or stray bracket, colon or comma, a misspelt keyword, a line
indented unlike its neighbours). An edit counts when the file parses with it, or when
the parser then stops further down: several errors are mended one after another. A
few alternatives come back, fewest edits first: which one is right is for the tests
to say, in the evaluation.
"""

from __future__ import annotations

import difflib
import keyword
import re
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

_CLOSERS = {"(": ")", "[": "]", "{": "}"}
_SINGLE_EQUALS = re.compile(r"(?<![=<>!:+\-*/%&|^@])=(?!=)")
_STEPS = 6
"""Errors mended one after another, at most."""
_BEAM = 4
"""Partly mended versions carried from one error to the next."""
_SECONDS = 5.0


@dataclass(frozen=True)
class Edit:
    """Replace source[start:end] with text; what it does, in a few words."""

    start: int
    end: int
    text: str
    describe: str
    guided: bool = False
    """The parser's message asked for it."""


@dataclass
class Mended:
    """A version of the source that parses, and the edits that made it."""

    source: str
    steps: list[str] = field(default_factory=list)
    guided: int = 0

    @property
    def summary(self) -> str:
        """Say what was done, in one line."""
        return "; ".join(self.steps)


def parse_error(source: str) -> SyntaxError | None:
    """Return why source does not compile, or None when it does."""
    try:
        with warnings.catch_warnings():  # "perhaps you missed a comma?": not an error
            warnings.simplefilter("ignore")
            compile(source, "<target>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc
    except ValueError:  # a NUL byte: nothing an edit here can mend
        return SyntaxError("source holds a null byte")
    return None


def mend(source: str, *, most: int = 3) -> list[Mended]:
    """Return up to most versions of source that parse, fewest edits first."""
    error = parse_error(source)
    if error is None or error.lineno is None:
        return []
    deadline = time.monotonic() + _SECONDS
    found: dict[str, Mended] = {}
    frontier = [(Mended(source), error)]
    seen = {source}
    for _ in range(_STEPS):
        following = []
        for state, error in frontier:
            for edit in _edits(state.source, error):
                if time.monotonic() > deadline:
                    break
                text = state.source[:edit.start] + edit.text + state.source[edit.end:]
                if text in seen:
                    continue
                seen.add(text)
                after = parse_error(text)
                line = error.lineno or 0
                step = f"line {line}: {edit.describe}"
                mended = Mended(text, [*state.steps, step], state.guided + edit.guided)
                if after is None:
                    found.setdefault(text, mended)
                elif after.lineno is not None and _further(after, error):
                    following.append((mended, after))
        if len(found) >= most or not following or time.monotonic() > deadline:
            break
        # Those the messages guided, then those that got furthest.
        following.sort(key=lambda pair: (-pair[0].guided, -(pair[1].lineno or 0)))
        frontier = following[:_BEAM]
    ranked = sorted(found.values(), key=lambda m: (len(m.steps), -m.guided,
                                                   abs(len(m.source) - len(source))))
    return ranked[:most]


def _further(after: SyntaxError, before: SyntaxError) -> bool:
    return (after.lineno or 0, after.offset or 0) > (before.lineno or 0, before.offset or 0)


def _edits(source: str, error: SyntaxError) -> Iterator[Edit]:
    """Yield the edits worth trying for error, those its message asks for first."""
    lines = source.splitlines(keepends=True)
    number = min(max(error.lineno or 1, 1), len(lines)) if lines else 1
    starts = [0]
    for text in lines:
        starts.append(starts[-1] + len(text))
    at = _Lines(lines, starts)
    message = error.msg or ""
    column = max((error.offset or 1) - 1, 0)
    yield from _guided(at, number, column, error, message)
    yield from _usual(at, number, column)
    if number > 1:
        yield from _usual(at, number - 1, None)


@dataclass
class _Lines:
    lines: list[str]
    starts: list[int]

    def text(self, number: int) -> str:
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""

    def offset(self, number: int, column: int) -> int:
        return self.starts[number - 1] + min(column, len(self.text(number)))

    def code_end(self, number: int) -> int:
        """Return the column where the line's code ends (before a comment and blanks)."""
        text = self.text(number)
        quote = None
        escaped = False
        end = len(text.rstrip("\r\n"))
        for index, char in enumerate(text):
            if quote:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == quote:
                    quote = None
            elif char in "'\"":
                quote = char
            elif char == "#":
                end = index
                break
        return len(text[:end].rstrip())

    def indent(self, number: int) -> str:
        text = self.text(number)
        return text[:len(text) - len(text.lstrip(" \t"))]


def _guided(at: _Lines, number: int, column: int, error: SyntaxError,
            message: str) -> Iterator[Edit]:
    end = at.code_end(number)
    here = at.offset(number, end)
    if message.startswith("expected ':'"):
        yield Edit(here, here, ":", "added ':'", guided=True)
        spot = at.offset(number, column)
        yield Edit(spot, spot, ":", "added ':'", guided=True)
    elif (never := re.match(r"'(.)' was never closed", message)) and never[1] in _CLOSERS:
        closer = _CLOSERS[never[1]]
        text = at.text(number)
        if text[:end].endswith(":"):
            before = at.offset(number, end - 1)
            yield Edit(before, before, closer, f"closed '{never[1]}'", guided=True)
        yield Edit(here, here, closer, f"closed '{never[1]}'", guided=True)
        for later in range(number + 1, min(number + 6, len(at.lines) + 1)):
            spot = at.offset(later, at.code_end(later))
            yield Edit(spot, spot, closer, f"closed '{never[1]}' on line {later}", guided=True)
    elif unmatched := re.match(r"unmatched '(.)'", message):
        spot = at.offset(number, column)
        if at.text(number)[column:column + 1] == unmatched[1]:
            yield Edit(spot, spot + 1, "", f"removed a stray '{unmatched[1]}'", guided=True)
    elif mismatch := re.match(r"closing parenthesis '(.)' does not match opening "
                              r"parenthesis '(.)'", message):
        closer = _CLOSERS.get(mismatch[2], "")
        spot = at.offset(number, column)
        if closer and at.text(number)[column:column + 1] == mismatch[1]:
            yield Edit(spot, spot + 1, closer, f"'{mismatch[1]}' → '{closer}'", guided=True)
            yield Edit(spot, spot, closer, f"closed '{mismatch[2]}'", guided=True)
    elif "forgot a comma" in message:
        yield from _commas(at, number, column, error)
    elif message.startswith("unterminated string literal"):
        text = at.text(number)
        quote = text[column:column + 1]
        if quote in ("'", '"'):
            tail = len(text.rstrip("\r\n"))
            # Where a word ends: before a comma, a bracket, a colon or a blank.
            ends = [column + 1 + m.start()
                    for m in re.finditer(r"(?<=\S)(?=[,)\]}:\s])", text[column + 1:tail])]
            stripped = len(text[:tail].rstrip(")]}:,"))
            for col in list(dict.fromkeys([*ends[:16], stripped, tail])):
                spot = at.offset(number, col)
                yield Edit(spot, spot, quote, f"closed the string with {quote}", guided=True)
    elif message.startswith("unterminated triple-quoted string literal"):
        quote = at.text(number)[column:column + 3]
        if quote in ('"""', "'''"):
            for later in range(number, len(at.lines) + 1):
                if later > number and at.text(later).strip():
                    continue
                spot = at.offset(later, len(at.text(later).rstrip("\r\n")))
                yield Edit(spot, spot, quote, f"closed the string on line {later}",
                           guided=True)
                if later > number:
                    break
    elif "'=='" in message or '"=="' in message:
        text = at.text(number)
        for match in _SINGLE_EQUALS.finditer(text[:end]):
            if match.start() >= column:
                spot = at.offset(number, match.start())
                yield Edit(spot, spot + 1, "==", "'=' → '=='", guided=True)
    elif message.startswith("Missing parentheses in call to"):
        text = at.text(number)
        name = re.match(r"[A-Za-z_]\w*", text[column:])
        if name:
            start, stop = at.offset(number, column + len(name[0])), here
            argument = at.text(number)[column + len(name[0]):end].strip()
            yield Edit(start, stop, f"({argument})", f"called {name[0]}(...)", guided=True)
    elif isinstance(error, IndentationError) or "indent" in message:
        yield from _indents(at, number, message)


def _commas(at: _Lines, number: int, column: int, error: SyntaxError) -> Iterator[Edit]:
    text = at.text(number)
    stop = (error.end_offset or len(text)) - 1 if error.end_lineno in (None, number) \
        else len(text)
    gaps = [at.offset(number, column + m.start())
            for m in re.finditer(r"(?<=\S)(\s+)(?=\S)", text[column:stop])]
    for spot in gaps:
        yield Edit(spot, spot, ",", "added ','", guided=True)
    for spot in gaps:  # in a dict display, a key's colon
        yield Edit(spot, spot, ":", "added ':'")


def _indents(at: _Lines, number: int, message: str) -> Iterator[Edit]:
    text = at.text(number)
    current = at.indent(number)
    start = at.offset(number, 0)
    before = [at.indent(n) for n in range(number - 1, 0, -1) if at.text(n).strip()]
    if message.startswith("expected an indented block"):
        header = before[0] if before else ""
        unit = "\t" if header.startswith("\t") else "    "
        yield Edit(start, start + len(current), header + unit, "indented the block",
                   guided=True)
        yield Edit(start, start, header + unit + "pass\n", "added 'pass' to the empty block",
                   guided=True)
        return
    options = list(dict.fromkeys(before))
    if message.startswith("unindent"):
        options = [i for i in options if len(i) < len(current)] or options
    for indent in options[:4]:
        if indent != current:
            yield Edit(start, start + len(current), indent,
                       f"indented as line {_line_with(at, number, indent)}", guided=True)
    if text.strip() and not before:
        yield Edit(start, start + len(current), "", "removed the indentation", guided=True)


def _line_with(at: _Lines, number: int, indent: str) -> int:
    for n in range(number - 1, 0, -1):
        if at.text(n).strip() and at.indent(n) == indent:
            return n
    return number


def _usual(at: _Lines, number: int, column: int | None) -> Iterator[Edit]:
    """Yield the slips worth trying on a line, whatever the message said."""
    end = at.code_end(number)
    here = at.offset(number, end)
    text = at.text(number)
    stripped = text.strip()
    opens = _open_brackets(text[:end])
    for opener in reversed(opens):
        yield Edit(here, here, _CLOSERS[opener], f"closed '{opener}'")
    if re.match(r"(async\s+def|def|class|if|elif|else|for|async\s+for|while|try|except|"
                r"finally|with|async\s+with|match|case)\b", stripped) and \
            not text[:end].endswith(":"):
        yield Edit(here, here, ":", "added ':'")
    if re.match(r"(async\s+)?for\b", stripped) and not re.search(r"\bin\b", text[:end]) \
            and column is not None:
        spot = at.offset(number, column)
        yield Edit(spot, spot, "in ", "added 'in'")
    if end and text[:end][-1] in ",+-*/%&|^.=" and not text[:end].endswith(("==", "!=")):
        yield Edit(here - 1, here, "", f"removed a dangling '{text[end - 1]}'")
    if column is not None:
        spot = at.offset(number, column)
        char = text[column:column + 1]
        if char and char in ")]}:,;":
            yield Edit(spot, spot + 1, "", f"removed a stray '{char}'")
        if _SINGLE_EQUALS.match(text, column) and re.match(r"(if|elif|while)\b", stripped):
            yield Edit(spot, spot + 1, "==", "'=' → '=='")
        gap = re.search(r"(?<=[\w)\]}'\"])\s+$", text[:column])
        if gap:  # two names or values side by side: a comma between them
            at_gap = at.offset(number, gap.start())
            yield Edit(at_gap, at_gap, ",", "added ','")
        word = re.match(r"[A-Za-z_]\w*", text[column:])
        first = re.match(r"\s*([A-Za-z_]\w*)", text)
        for found, where in ((word, column), (first, None)):
            if found is None:
                continue
            name = found[1] if where is None else found[0]
            if keyword.iskeyword(name):
                continue
            col = where if where is not None else found.start(1)
            for close in difflib.get_close_matches(name, keyword.kwlist, n=2, cutoff=0.6):
                spot = at.offset(number, col)
                yield Edit(spot, spot + len(name), close, f"'{name}' → '{close}'")


def _open_brackets(code: str) -> list[str]:
    """Return the brackets left open on a line, innermost last (strings skipped)."""
    stack: list[str] = []
    quote = None
    for char in code:
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char in _CLOSERS:
            stack.append(char)
        elif char in ")]}" and stack and _CLOSERS[stack[-1]] == char:
            stack.pop()
    return stack
