"""Renames the review asks for, carried to every call site the blast radius found.

Renaming a symbol that dependents use breaks them, and the API gate rightly fails
such a candidate. A rename is still sometimes the fix: pep8-naming's findings (N801,
N802, N816), a model's finding or the human's feedback ("rename getPrice to
price_of") ask for one. When the rename is asked for, and only then, the candidate
carries the same rename to every use the blast radius found (file and line), so the
target and its call sites are evaluated, approved and applied as one change.

``RenameEngine`` proposes the renames asked for (offline, deterministic);
``carry`` adds the call-site edits to a proposal from any engine.
"""

from __future__ import annotations

import ast
import difflib
import io
import keyword
import re
import tokenize
from collections.abc import Callable, Iterable

from healloop.engines.base import GenerationJob, Proposal
from healloop.state import BlastRadius, FileChange, ReviewReport

NAMING_RULES = {"N801": "class", "N802": "function", "N816": "variable"}
"""pep8-naming rules about top-level names that other modules may import."""
_BACKTICKED = re.compile(r"`([A-Za-z_]\w*)`")
_ASKED = re.compile(
    r"\brename\s+`?([A-Za-z_]\w*)`?\s+(?:to|as|into|->)\s+`?([A-Za-z_]\w*)`?", re.IGNORECASE
)


def snake_case(name: str) -> str:
    """Return name in snake_case: getHTTPPrice -> get_http_price."""
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", spaced).lower()


def cap_words(name: str) -> str:
    """Return name in CapWords: cart_item -> CartItem."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


def top_level_names(source: str) -> dict[str, str]:
    """Return the names a module defines at top level, in order, with their kind."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names[node.name] = "function"
        elif isinstance(node, ast.ClassDef):
            names[node.name] = "class"
        elif isinstance(node, ast.Assign):
            names.update((t.id, "variable") for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = "variable"
    return names


def requested(review: ReviewReport, feedback: Iterable[str] = ()) -> dict[str, str]:
    """Return old -> new for every rename the review or the human asked for."""
    asks: dict[str, str] = {}
    for finding in review.findings:
        found = _BACKTICKED.search(finding.message)
        if finding.rule in NAMING_RULES and found:
            old = found.group(1)
            asks[old] = cap_words(old) if finding.rule == "N801" else snake_case(old)
        for text in (finding.message, finding.rationale or ""):
            asks.update(_ASKED.findall(text))
    for text in feedback:
        asks.update(_ASKED.findall(text))
    return {old: new for old, new in asks.items() if _usable(new) and old != new}


def _usable(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


_TRIVIA = (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)


def _logical_lines(source: str) -> list[list[tokenize.TokenInfo]]:
    """Return the tokens of each statement, from its first token to its NEWLINE."""
    lines: list[list[tokenize.TokenInfo]] = [[]]
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if not lines[-1] and token.type in _TRIVIA:
            continue  # blank lines, comments and indentation before a statement
        lines[-1].append(token)
        if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            lines.append([])
    return [line for line in lines if line]


def rename_uses(source: str, old: str, new: str, lines: set[int] | None = None) -> str:
    """Return source with the name old replaced by new.

    Args:
        source: A Python module.
        old: The name to replace (names and attributes; strings only in ``__all__``).
        new: Its replacement.
        lines: Replace only in the statements that span one of these lines (the uses
            the blast radius found); None replaces everywhere. ``__all__`` entries are
            always renamed, since they re-export the name.

    Returns:
        The renamed source, or source unchanged when it does not tokenize.

    """
    try:
        logical = _logical_lines(source)
    except (tokenize.TokenError, SyntaxError):
        return source
    # At call sites, a name the file binds itself (an assignment, a parameter) is its
    # own, though spelt alike: `Cache = cachetools.Cache` keeps its left side.
    own = _bound_here(source, old) if lines is not None else set()
    edits: list[tuple[int, int, int, str]] = []
    for statement in logical:
        rows = range(statement[0].start[0], statement[-1].end[0] + 1)
        exports = any(t.type == tokenize.NAME and t.string == "__all__" for t in statement[:2])
        wanted = lines is None or any(r in lines for r in rows)
        for t in statement:
            if wanted and t.type == tokenize.NAME and t.string == old and t.start not in own:
                edits.append((t.start[0], t.start[1], t.end[1], new))
            elif exports and t.type == tokenize.STRING and t.string[1:-1] == old:
                edits.append((t.start[0], t.start[1], t.end[1], f"{t.string[0]}{new}{t.string[0]}"))
            elif (wanted and t.type == tokenize.STRING and t.start[0] == t.end[0]
                  and _FSTRING.match(t.string)):
                renamed = _in_fields(t.string, old, new)
                if renamed != t.string:
                    edits.append((t.start[0], t.start[1], t.end[1], renamed))
    text = source.splitlines(keepends=True)
    for row, start, end, value in sorted(edits, reverse=True):
        line = text[row - 1]
        text[row - 1] = line[:start] + value + line[end:]
    return "".join(text)


_FSTRING = re.compile(r"[rRbBuU]*[fF][rRbB]*('{3}|\"{3}|'|\")")


def _in_fields(literal: str, old: str, new: str) -> str:
    """Return an f-string literal with the name old renamed in its replacement fields.

    Python before 3.12 tokenizes an f-string as one string: its ``{...}`` fields are
    code all the same. Quoted text inside a field, and the literal text, stay as they are.
    """
    opening = _FSTRING.match(literal)
    if opening is None:
        return literal
    begin, end = opening.end(), len(literal) - len(opening.group(1))
    word = re.compile(rf"(?<!\w){re.escape(old)}(?!\w)")
    out, depth, quote, field_start, i = [literal[:begin]], 0, "", 0, begin
    last = begin
    while i < end:
        char = literal[i]
        if depth == 0:
            if literal.startswith("{{", i):
                i += 2
                continue
            if char == "{":
                depth, field_start = 1, i + 1
        elif quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                out.append(literal[last:field_start])
                parts = re.split(r"""('[^']*'|"[^"]*")""", literal[field_start:i])
                out.extend(part if part[:1] in ("'", '"') else word.sub(new, part)
                           for part in parts)
                last = i
        i += 1
    out.append(literal[last:])
    return "".join(out)


def _bound_here(source: str, name: str) -> set[tuple[int, int]]:
    """Return where source binds name itself: assignment targets, parameters, definitions."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
            found.add((node.lineno, node.col_offset))
        elif isinstance(node, ast.arg) and node.arg == name:
            found.add((node.lineno, node.col_offset))
    return found


def _names_in(source: str) -> set[str]:
    try:
        return {
            t.string
            for t in tokenize.generate_tokens(io.StringIO(source).readline)
            if t.type == tokenize.NAME
        }
    except (tokenize.TokenError, SyntaxError):
        return set()


def renamed_symbols(before: str, after: str, used: set[str]) -> dict[str, str]:
    """Return old -> new for used top-level symbols that after defines under a new name.

    A symbol counts as renamed when it disappears and a definition of the same kind
    appears at the same place among the module's top-level names.
    """
    old, new = top_level_names(before), top_level_names(after)
    matcher = difflib.SequenceMatcher(None, list(old), list(new), autojunk=False)
    pairs: dict[str, str] = {}
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace" or i2 - i1 != j2 - j1:
            continue
        for gone, came in zip(list(old)[i1:i2], list(new)[j1:j2], strict=True):
            if gone in used and came not in old and old[gone] == new[came]:
                pairs[gone] = came
    return pairs


def stub_of(target: str, read: Callable[[str], str]) -> tuple[str, str]:
    """Return the path and content of the stub (``.pyi``) beside target ('' when none)."""
    stub = target.removesuffix(".py") + ".pyi"
    try:
        return stub, read(stub)
    except OSError:
        return stub, ""


def carry(
    renames: dict[str, str],
    blast: BlastRadius,
    read: Callable[[str], str],
) -> list[FileChange]:
    """Return the edits that carry renames to every call site in the blast radius.

    Args:
        renames: old -> new names of the target's symbols.
        blast: The target's blast radius; its dependents' uses give file and line.
        read: Returns the original content of a repository file.

    Returns:
        New content for each dependent file that uses a renamed symbol, and for the
        target's stub (``.pyi``) beside it, which declares the names again.

    """
    sites: dict[str, dict[str, set[int]]] = {}
    for dependent in blast.dependents:
        for use in dependent.uses:
            name = use.symbol.split(".")[0]
            if name in renames and use.file != blast.target:
                sites.setdefault(use.file, {}).setdefault(name, set()).add(use.line)
    changes = []
    stub, declared = stub_of(blast.target, read)
    after = declared
    for old, new in sorted(renames.items()):
        after = rename_uses(after, old, new)
    if after != declared:
        changes.append(FileChange(path=stub, content=after))
    for path in sorted(sites):
        before = read(path)
        after = before
        for old, lines in sorted(sites[path].items()):
            after = rename_uses(after, old, renames[old], lines)
        if after != before:
            changes.append(FileChange(path=path, content=after))
    return changes


def deliberate(renames: dict[str, str], asked: dict[str, str]) -> bool:
    """Return whether every rename was asked for (the new name may differ)."""
    return bool(renames) and all(old in asked for old in renames)


class RenameEngine:
    """Propose the renames the review or the human asked for, in the target."""

    name = "rename"

    def propose(self, job: GenerationJob) -> list[Proposal]:
        """Return one proposal per requested rename, and one with all of them."""
        defined = top_level_names(job.source)
        taken = _names_in(job.source)
        asks = {
            old: new
            for old, new in requested(job.review, job.feedback).items()
            if old in defined and new not in taken
        }
        proposals = [self._proposal(job.source, {old: new}) for old, new in asks.items()]
        if len(asks) > 1:
            proposals.append(self._proposal(job.source, asks))
        return [p for p in proposals if p.content != job.source]

    def _proposal(self, source: str, renames: dict[str, str]) -> Proposal:
        content = source
        for old, new in renames.items():
            content = rename_uses(content, old, new)
        words = [f"rename `{old}` to `{new}`" for old, new in renames.items()]
        return Proposal(
            content=content, engine=self.name, summary="; ".join(words), edits=words
        )

