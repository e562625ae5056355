"""Edits that the failing tests' messages ask for (see ``hints``).

- a test expected an exception that was not raised: ``if <cond>: raise E(...)``
  before a suspicious statement, with the conditions the function already tests and
  the simple checks of its parameters (``n < 0``, ``not items``, ``x is None``);
- an exception escaped that a handler nearby should catch: the handler's types
  widened with it (``except (TypeError, ValueError)`` → ``..., OverflowError)``);
- an exception escaped a suspicious statement: the value it computes made
  conditional, ``v = f(x) if x != 0 else 0``, with a condition over the variables
  the expression reads (the expression-level guard of ACS and TBar's checkers);
- a misspelt attribute or name: every use of it replaced by the closest name the
  object's type, the module or the builtins define;
- None had no attribute ``x`` (``'NoneType' object has no attribute 'x'``): a
  suspicious condition reading ``o.x`` checks ``o`` first, ``o is None or <test>`` or
  ``o is not None and <test>`` (a linked list's walk that tests the next link only),
  and a plain statement reading ``o.x`` gets ``if o is None: return`` before it;
- a module lacks a name (code written for another Python): every use of it rewritten
  to where it is now (``repair.moved``: ``collections.Sequence`` →
  ``collections.abc.Sequence``);
- a generator raised StopIteration (a RuntimeError since Python 3.7, PEP 479): its
  ``raise StopIteration`` becomes ``return``, and a ``next(it)`` of its own that may
  find ``it`` empty returns on StopIteration;
- a test's line expects a call to return what a degenerate input returns (``assert
  get([], 'AB') == ()``): ``if not ind: return ()`` before the suspicious statements of
  that function, under the simple checks of its parameters.

A missing raise also borrows the condition another function raises the exception
under, its local names adapted (``_borrowed``).
"""

from __future__ import annotations

import ast
import builtins
import difflib
from collections.abc import Iterator, Sequence

from healloop.repair.conditions import (
    condition_pool,
    is_chain,
    none_checked,
    nullable,
    owner_checks,
)
from healloop.repair.edits import Edit
from healloop.repair.expressions import Edits, precedence_of_text
from healloop.repair.hints import Hints
from healloop.repair.localise import Suspect
from healloop.repair.moved import moved_edits
from healloop.repair.program import Program, Scope, kind_of_value, walk_own

_GUARDED_SUSPECTS = 25
"""Suspicious statements a missing raise is tried before, most suspicious first."""
_CONDITIONS = 24
_LITERAL_SUSPECTS = 25
"""Suspicious statements whose string literals an assertion's string difference may fix."""
_VALUE_SUSPECTS = 8
"""Suspicious assignments and returns whose value an escaped exception may make conditional."""
_RETURN_SUSPECTS = 12
"""Suspicious statements of the called function a return of the expected value is tried before."""
_NULL_SUSPECTS = 12
"""Suspicious statements whose conditions may check an attribute's owner for None."""


def hinted_edits(program: Program, suspects: Sequence[Suspect], hints: Hints,
                 top: float) -> Iterator[tuple[float, Edit]]:
    """Yield (priority, edit) for every edit the hints ask for."""
    if not hints:
        return
    yield from _raises(program, suspects, hints, top)
    yield from _handlers(program, suspects, hints)
    yield from _conditional_values(program, suspects, hints, top)
    yield from _typos(program, hints)
    yield from _literals(program, suspects, hints, top)
    yield from _joined(program, suspects, hints, top)
    yield from _misspelt_literals(program, hints)
    yield from _expected_returns(program, suspects, hints, top)
    yield from _null_owners(program, suspects, hints, top)
    yield from _null_statements(program, suspects, hints, top)
    yield from moved_edits(program, hints)
    yield from _generator_returns(program, hints)


def resolvable(program: Program, name: str) -> bool:
    """Return whether a name can be used at the module's top level."""
    if isinstance(getattr(builtins, name, None), type):
        return True
    for node in ast.walk(program.tree):
        if isinstance(node, ast.ClassDef) and node.name == name and (
            program.parents.get(node) is program.tree
        ):
            return True
        if isinstance(node, ast.Import | ast.ImportFrom) and any(
            (alias.asname or alias.name).split(".")[0] == name for alias in node.names
        ):
            return True
    return False


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(
        stmt.value.value, str)


def _parameter_checks(function: ast.FunctionDef | ast.AsyncFunctionDef,
                      scope: Scope, maybe_none: set[str], characters: Sequence[str] = ()
                      ) -> list[tuple[str, float]]:
    """Return the simple checks of the parameters a missing raise may test, likeliest first.

    A parameter that may be None (maybe_none) has its comparisons null-checked first:
    `n is not None and n < 0`, so that None keeps the meaning the function gives it.
    A parameter that may be text is checked for the control characters the failing
    tests pass (a line break in `comment`).
    """
    checks = []
    args = function.args
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
        name = arg.arg
        if name in ("self", "cls"):
            continue
        kinds = scope.names.get(name, set())
        if not kinds & {"num", "bool"}:
            for char in characters:
                checks.append((f"{char!r} in {name}", 0.6))
                checks.append((f"{name} and {char!r} in {name}", 0.5))
        if not kinds & {"seq", "str", "bool"}:
            checks += [(f"{name} < 0", 0.7), (f"{name} <= 0", 0.5)]
            if name in maybe_none:
                checks += [(f"{name} is not None and {name} < 0", 0.65),
                           (f"{name} is not None and {name} <= 0", 0.45)]
        checks += [(f"not {name}", 0.55), (f"{name} is None", 0.5)]
    return sorted(checks, key=lambda c: -c[1])


def _raises(program: Program, suspects: Sequence[Suspect], hints: Hints,
            top: float) -> Iterator[tuple[float, Edit]]:
    exceptions = [e for e in hints.not_raised if resolvable(program, e)]
    if not exceptions:
        return
    from healloop.repair.statements import indent_step  # one indentation rule for both

    step = indent_step(program)
    seen: set[tuple[int, str]] = set()
    borrowed_in: dict[tuple[ast.AST, str], dict[str, str]] = {}
    candidates = [s for s in suspects if program.function_of(s.stmt) is not None
                  and not _is_docstring(s.stmt)][:_GUARDED_SUSPECTS]
    for suspect in candidates:
        stmt = suspect.stmt
        function = program.function_of(stmt)
        assert function is not None
        scope = program.scope_of(stmt)
        pool = [*_parameter_checks(function, scope, nullable(program, scope), hints.characters),
                *((c, 0.5) for c in condition_pool(program, scope))]
        conditions = list(dict(reversed(pool)).items())  # the first prior of each
        conditions = sorted(conditions, key=lambda c: -c[1])[:_CONDITIONS]
        indent = program.indent_of(stmt)
        at = program.line_start(stmt.lineno)
        weight = suspect.score / top
        for exception in exceptions:
            if (function, exception) not in borrowed_in:  # the same for each suspect in it
                borrowed_in[function, exception] = _borrowed(program, function, scope, exception)
            borrowed = borrowed_in[function, exception]
            for cond, prior in [*((c, 0.75) for c in borrowed), *conditions]:
                if (at, cond + exception) in seen or precedence_of_text(cond) == 0:
                    continue
                seen.add((at, cond + exception))
                said = repr(hints.messages[0]) if hints.messages else borrowed.get(
                    cond, repr(cond))
                text = f"{indent}if {cond}:\n{indent}{step}raise {exception}({said})\n"
                yield weight * prior, Edit("guard", at, at, text, stmt.lineno, "", prior)


def _borrowed(program: Program, function: ast.FunctionDef | ast.AsyncFunctionDef,
              scope: Scope, exception: str) -> dict[str, str]:
    """Return the conditions other functions raise exception under, adapted to function.

    ``_validate_nbf`` raises ``ImmatureSignatureError`` when ``nbf > (now + leeway)``,
    having read ``nbf = int(payload["nbf"])``; ``_validate_iat`` reads
    ``int(payload["iat"])`` and forgot the check. A name the function does not have is
    replaced by the expression of the function's own that is its sibling's definition
    of it with other string constants (the claim's name). Each condition maps to the
    sibling's raise arguments, as text.
    """
    found: dict[str, str] = {}
    for node in ast.walk(program.tree):
        if not (isinstance(node, ast.If) and len(node.body) == 1
                and isinstance(node.body[0], ast.Raise)):
            continue
        raised = node.body[0].exc
        call = raised if isinstance(raised, ast.Call) else None
        name = (call.func if call else raised)
        if not (isinstance(name, ast.Name) and name.id == exception):
            continue
        sibling = program.function_of(node)
        if sibling is None or sibling is function:
            continue
        cond = _adapted_condition(program, node.test, sibling, function, scope)
        if cond is not None and cond not in found:
            args = program.text(call)[len(program.text(call.func)):] if call else "()"
            found[cond] = args[1:-1]
    return found


def _adapted_condition(program: Program, test: ast.expr, sibling: ast.AST,
                       function: ast.AST, own: Scope) -> str | None:
    """Return test's text with the sibling's local names replaced, or None."""
    known = set(own.names) | own.functions | {"self", "cls"}
    replacements: dict[ast.AST, str] = {}
    for node in ast.walk(test):
        if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)):
            continue
        if node.id in known or hasattr(builtins, node.id):
            continue
        definition = _definition(sibling, node.id)
        if definition is None:
            return None
        shape = _shape(definition)
        twin = next((n for n in ast.walk(function) if isinstance(n, ast.expr)
                     and type(n) is type(definition) and _shape(n) == shape), None)
        if twin is None:
            return None
        replacements[node] = program.text(twin)
    return program.rewritten(test, replacements) if replacements else None


def _definition(function: ast.AST, name: str) -> ast.expr | None:
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                node.targets[0], ast.Name) and node.targets[0].id == name:
            return node.value
    return None


def _shape(node: ast.expr) -> str:
    """Return node's structure with string constants blanked out."""
    blank = ast.fix_missing_locations(_Blank().visit(ast.parse(ast.unparse(node), mode="eval")))
    return ast.dump(blank)


class _Blank(ast.NodeTransformer):
    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        return ast.Constant("") if isinstance(node.value, str) else node


def _expected_returns(program: Program, suspects: Sequence[Suspect], hints: Hints,
                      top: float) -> Iterator[tuple[float, Edit]]:
    """`if <check>: return <literal>` in the function a test expected the literal of.

    Only for the values a degenerate input returns whatever it is (an empty
    collection, None, a boolean, 0 or -1) under the checks that find such an input (a
    parameter empty, None or negative): a test's `== 2` or `== '3a1b'` describes one
    input's output, and returning it under some condition only fits that test.
    """
    from healloop.repair.statements import indent_step  # one indentation rule for both

    step = indent_step(program)
    seen: set[tuple[int, str]] = set()
    for name, literal in [e for e in hints.expected if _degenerate(e[1])][:4]:
        sites = [s for s in suspects if (f := program.function_of(s.stmt)) is not None
                 and f.name == name and not _is_docstring(s.stmt)][:_RETURN_SUSPECTS]
        for suspect in sites:
            stmt = suspect.stmt
            function = program.function_of(stmt)
            assert function is not None
            scope = program.scope_of(stmt)
            indent = program.indent_of(stmt)
            at = program.line_start(stmt.lineno)
            for cond, prior in _parameter_checks(function, scope, nullable(program, scope)):
                text = f"{indent}if {cond}:\n{indent}{step}return {literal}\n"
                if (at, text) in seen:
                    continue
                seen.add((at, text))
                yield suspect.score / top * prior, Edit("guard", at, at, text, stmt.lineno,
                                                        "", prior)


def _degenerate(literal: str) -> bool:
    """Whether a literal is what an empty, missing or negative input may return."""
    value = ast.literal_eval(literal)
    return isinstance(value, bool) or not value or value == -1


def _conditional_values(program: Program, suspects: Sequence[Suspect], hints: Hints,
                        top: float) -> Iterator[tuple[float, Edit]]:
    """`x = E` → `x = E if c else d` where an exception escaped: E must not run for c false.

    c tests a variable E reads (`v != 0`, `v`, `v is not None`, by what the function
    does with it), d is the neutral value of E's kind (0, None, an empty container).
    """
    if not hints.escaped:
        return
    done = 0
    for suspect in suspects:
        if done >= _VALUE_SUSPECTS:
            break
        stmt = suspect.stmt
        value = stmt.value if isinstance(stmt, ast.Assign | ast.Return | ast.AnnAssign) else None
        if value is None or program.function_of(stmt) is None or isinstance(
            value, ast.Constant | ast.Name | ast.IfExp | ast.Lambda
        ):
            continue
        done += 1
        scope = program.scope_of(stmt)
        conditions = _value_conditions(value, scope)
        if not conditions:
            continue
        text = program.text(value)
        if "\n" in text:
            continue
        start, end = program.span(value)
        weight = suspect.score / top
        defaults = _neutral_values(value, scope)
        for i, cond in enumerate(conditions):
            for j, default in enumerate(defaults):
                prior = max(0.45 - 0.04 * i - 0.08 * j, 0.15)
                yield weight * prior, Edit("condition", start, end,
                                           f"{text} if {cond} else {default}", stmt.lineno,
                                           text, prior)


def _value_conditions(value: ast.expr, scope: Scope) -> list[str]:
    """Return the tests that may keep value from being computed, likeliest first."""
    found: list[str] = []
    for node in ast.walk(value):
        if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
                and node.id in scope.names and node.id not in ("self", "cls")):
            continue
        kinds = scope.names[node.id]
        name = node.id
        if "num" in kinds:
            tests = [f"{name} != 0", f"{name} > 0"]
        elif kinds & {"seq", "str"}:
            tests = [name]
        else:
            tests = [f"{name} != 0", f"{name} is not None", name]
        for test in tests:
            if test not in found:
                found.append(test)
    return found[:6]


def _neutral_values(value: ast.expr, scope: Scope) -> list[str]:
    """Return the values standing for "nothing" that value's kind has, likeliest first."""
    kind = kind_of_value(value, scope.names)
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and (
        isinstance(value.func.value, ast.Name) and value.func.value.id == "math"
    ):
        kind = "num"
    if isinstance(value, ast.JoinedStr):
        kind = "str"
    return {"num": ["0", "None"], "seq": ["[]", "None"], "str": ['""', "None"],
            "bool": ["False", "None"]}.get(kind or "", ["None", "0"])


def _handlers(program: Program, suspects: Sequence[Suspect],
              hints: Hints) -> Iterator[tuple[float, Edit]]:
    escaped = [e for e in hints.escaped if resolvable(program, e)]
    if not escaped:
        return
    tries: dict[int, tuple[ast.Try, float]] = {}
    for suspect in suspects:
        node: ast.AST | None = suspect.stmt
        while node is not None and not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if isinstance(node, ast.Try | getattr(ast, "TryStar", ast.Try)):
                key = id(node)
                if key not in tries or tries[key][1] < suspect.score:
                    tries[key] = (node, suspect.score)  # type: ignore[assignment]
            node = program.parents.get(node)
    top = max((score for _, score in tries.values()), default=0.0) or 1.0
    for node, score in tries.values():
        for handler in node.handlers:
            kind = handler.type
            if kind is None:
                continue
            names = kind.elts if isinstance(kind, ast.Tuple) else [kind]
            if any(isinstance(n, ast.Name) and n.id in escaped for n in names):
                continue
            start, end = program.span(kind)
            old = program.source[start:end]
            for exception in escaped:
                if isinstance(kind, ast.Tuple):
                    inner = old.strip()
                    if inner.startswith("(") and inner.endswith(")"):
                        body = inner[1:-1].rstrip().rstrip(",")
                        text = f"({body}, {exception})"
                    else:
                        text = f"{old.rstrip().rstrip(',')}, {exception}"
                else:
                    text = f"({old}, {exception})"
                yield 0.8 * score / top, Edit("condition", start, end, text, handler.lineno,
                                              old, 0.8)


def _literals(program: Program, suspects: Sequence[Suspect], hints: Hints,
              top: float) -> Iterator[tuple[float, Edit]]:
    """Rewrite the piece where an asserted string differs, in the literals that write it.

    ``assert 'PT5M25M' == 'PT5H25M'``: the strings differ in one piece ('M', 'H'), so
    each string literal of a suspicious statement holding one side's piece gets the
    other's (``"%sM" % hours`` becomes ``"%sH" % hours``). Which side the code made
    is not known (``assert expected == actual`` is common too): both are tried.
    """
    pieces = []
    for one, other in hints.strings:
        if (piece := _one_difference(one, other)) is not None:
            pieces += [piece, piece[::-1]]
    if not pieces:
        return
    seen: set[tuple[int, str]] = set()
    for suspect in suspects[:_LITERAL_SUSPECTS]:
        for node in ast.walk(suspect.stmt):
            literal = _plain_string(program, node)
            if literal is None:
                continue
            start, end, text, _ = literal
            for old, new in pieces:
                at = text.find(old, 1, len(text) - 1)
                while old and at >= 0 and not set(new) & set(_UNWRITABLE):
                    changed = text[:at] + new + text[at + len(old):]
                    if (start, changed) not in seen:
                        seen.add((start, changed))
                        weight = 0.85 * suspect.score / top
                        yield weight, Edit("constant", start, end, changed, node.lineno, text,
                                           0.85)
                    at = text.find(old, at + 1, len(text) - 1)


def _joined(program: Program, suspects: Sequence[Suspect], hints: Hints,
            top: float) -> Iterator[tuple[float, Edit]]:
    """Join in the piece an asserted string lacks where the code concatenates.

    ``assert 'my_classAA' == 'my_class.AA'``: one side lacks '.', which no literal of
    the code writes, so each `a + b` of a suspicious statement that is no sum of
    numbers gets it between its operands, `class_name + '.' + strong`.
    """
    joins = {new for one, other in hints.strings
             for old, new in filter(None, (_one_difference(one, other),
                                           _one_difference(other, one)))
             if not old and 0 < len(new) <= _JOIN and not set(new) & set(_UNWRITABLE)}
    if not joins:
        return
    make = Edits(program)
    for suspect in suspects[:_LITERAL_SUSPECTS]:
        for node in ast.walk(suspect.stmt):
            if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)) or any(
                isinstance(side, ast.Constant) and isinstance(side.value, int | float)
                for side in (node.left, node.right)
            ):
                continue
            span = make.between(node.left, node.right, "+")
            if span is None:
                continue
            for piece in sorted(joins):
                edit = make.span_edit(*span, f"+ {piece!r} +", "constant", 0.6, node.lineno)
                yield 0.6 * suspect.score / top, edit


_JOIN = 5
"""Length of a piece an asserted string lacks that a concatenation may join in, at most."""
_SPELLING = 0.8
"""How alike a literal and a test's string must be to read as one misspelt (difflib)."""
_MARKS = 4
"""Punctuation marks of the tests' strings a one-mark literal may be, at most."""


def _misspelt_literals(program: Program, hints: Hints) -> Iterator[tuple[float, Edit]]:
    """`"Jupyter"` where the test writes `"Jupiter"`: a literal one slip from a test's string.

    A one-mark literal may be any mark the tests' strings are made of instead.
    """
    words = [w for w in hints.words if not set(w) & set(_UNWRITABLE)]
    marks = list(dict.fromkeys(c for w in hints.words for c in w if not c.isalnum()
                               and c not in _UNWRITABLE + " " and c.isprintable()))[:_MARKS]
    seen: set[tuple[int, str]] = set()
    for node in ast.walk(program.tree):
        literal = _plain_string(program, node)
        if literal is None or program.is_prose(node):
            continue
        start, end, text, value = literal
        found: list[tuple[str, float]] = []
        if len(value) == 1 and not value.isalnum():
            # `== '('` where the tests' inputs are made of `[` and `]`
            found += [(mark, 0.5) for mark in marks if mark != value]
        found += [(word, 0.8) for word in words if word != value
                  and abs(len(word) - len(value)) <= 2
                  and difflib.SequenceMatcher(None, value, word).ratio() >= _SPELLING]
        for other, weight in found:
            new = text[0] + other + text[0]
            if (start, new) not in seen:
                seen.add((start, new))
                yield weight, Edit("constant", start, end, new, node.lineno, text, weight)


_UNWRITABLE = "'\"\\\n"
"""Characters a replacement written between the literal's own quotes may not hold."""


def _plain_string(program: Program, node: ast.AST) -> tuple[int, int, str, str] | None:
    """Return a string literal's span, text and value, unless prefixed or escaped.

    A prefixed or escaped literal's text is not its value: no piece of it can be
    rewritten by the value's.
    """
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return None
    start, end = program.span(node)
    text = program.source[start:end]
    if text[:1] not in "'\"" or "\\" in text:
        return None
    return start, end, text, node.value


def _one_difference(one: str, other: str) -> tuple[str, str] | None:
    """Return the two pieces where two strings differ, when they differ in one place."""
    blocks = [op for op in difflib.SequenceMatcher(None, one, other, autojunk=False)
              .get_opcodes() if op[0] != "equal"]
    if len(blocks) != 1:
        return None
    _, i1, i2, j1, j2 = blocks[0]
    return one[i1:i2], other[j1:j2]


def _typos(program: Program, hints: Hints) -> Iterator[tuple[float, Edit]]:
    defined = _vocabulary(program)
    for owner, attribute in hints.missing_attributes:
        nodes = [n for n in ast.walk(program.tree)
                 if isinstance(n, ast.Attribute) and n.attr == attribute]
        if not nodes:
            continue
        kind = getattr(builtins, owner, None)
        words = set(dir(kind)) if isinstance(kind, type) else set()
        words |= {n.attr for n in ast.walk(program.tree) if isinstance(n, ast.Attribute)}
        words |= defined
        spans = []
        for node in nodes:
            end = program.span(node)[1]
            spans.append((end - len(attribute), end))
        yield from _renamed(program, spans, attribute, words)
    for name in hints.undefined:
        spans = [program.span(n) for n in ast.walk(program.tree)
                 if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
        if spans:
            yield from _renamed(program, spans, name, defined | set(dir(builtins)))


def _renamed(program: Program, spans: list[tuple[int, int]], old: str,
             words: set[str]) -> Iterator[tuple[float, Edit]]:
    """Yield one edit per close word, replacing old at every span."""
    spans = sorted(s for s in spans if program.source[s[0]:s[1]] == old)
    if not spans:
        return
    start, end = spans[0][0], spans[-1][1]
    for rank, word in enumerate(difflib.get_close_matches(old, words - {old}, n=3,
                                                          cutoff=0.75)):
        pieces, last = [], start
        for a, b in spans:
            pieces += [program.source[last:a], word]
            last = b
        pieces.append(program.source[last:end])
        line = program.source.count("\n", 0, start) + 1
        weight = 0.95 - 0.1 * rank
        yield weight, Edit("identifier", start, end, "".join(pieces), line,
                           program.source[start:end], weight)


def _vocabulary(program: Program) -> set[str]:
    """Return every name the module defines, imports or assigns, methods included."""
    words: set[str] = set()
    for node in ast.walk(program.tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            words.add(node.name)
        elif isinstance(node, ast.Name):
            words.add(node.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            words.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            words.add(node.arg)
    return words


def _null_owners(program: Program, suspects: Sequence[Suspect], hints: Hints,
                 top: float) -> Iterator[tuple[float, Edit]]:
    """`if o.x is None:` → `if o is None or o.x is None:` where None had no attribute x.

    Each condition of a suspicious statement (an if's, a while's, their and/or
    operands) that reads `o.x`, o a name or an attribute chain, gets o checked first.
    A test that finds the end (`... is None`, or one whose branch leaves) is widened
    with `o is None or` first, any other narrowed with `o is not None and` first.
    """
    attributes = hints.none_attributes
    if not attributes:
        return
    make = Edits(program)
    for suspect in suspects[:_NULL_SUSPECTS]:
        stmt = suspect.stmt
        leaves = isinstance(stmt, ast.If) and isinstance(
            stmt.body[-1], ast.Return | ast.Break | ast.Continue | ast.Raise)
        for test in _tests_of(program, stmt):
            for part in _operands(test):
                ends = leaves or bool(none_checked(part)) and not any(
                    isinstance(n, ast.Compare) and isinstance(n.ops[0], ast.IsNot)
                    for n in ast.walk(part))
                for owner in _owners(part, attributes):
                    either, both = owner_checks(part, program.text(part), owner)
                    first, second = (either, both) if ends else (both, either)
                    for text, prior in ((first, 0.85), (second, 0.6)):
                        edit = make.replace(part, text, "condition", prior, stmt.lineno)
                        if edit is not None:
                            yield suspect.score / top * prior, edit


_SIMPLE = ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Expr | ast.Return


def _null_statements(program: Program, suspects: Sequence[Suspect], hints: Hints,
                     top: float) -> Iterator[tuple[float, Edit]]:
    """`x = o.x` → `if o is None: return` before it, where None had no attribute x.

    A plain statement that reads `o.x` when o may be None (the end of a linked list,
    a lookup that found nothing) wants o checked before it: the function returns, or
    in a loop breaks or goes on; a statement with no value of its own may instead run
    only when o is there, `if o is not None: o.close()`.
    """
    attributes = hints.none_attributes
    if not attributes:
        return
    from healloop.repair.statements import indent_step  # one indentation rule for both

    step = indent_step(program)
    for suspect in suspects[:_NULL_SUSPECTS]:
        stmt = suspect.stmt
        function = program.function_of(stmt)
        if not isinstance(stmt, _SIMPLE) or function is None:
            continue
        owners = _owners(stmt, attributes)
        if not owners:
            continue
        indent = program.indent_of(stmt)
        at = program.line_start(stmt.lineno)
        exits = ["break", "continue"] if program.in_loop(stmt) else []
        exits.append("return None" if program.scope_of(stmt).returns else "return")
        end = program.span(stmt)[1]
        body = program.source[at:end]
        for owner in owners:
            for rank, exit_text in enumerate(exits):
                text = f"{indent}if {owner} is None:\n{indent}{step}{exit_text}\n"
                prior = 0.8 - 0.05 * rank
                yield suspect.score / top * prior, Edit(
                    "guard", at, at, text, stmt.lineno, "", prior)
            if isinstance(stmt, ast.Expr | ast.AugAssign) and "\n" not in body:
                text = f"{indent}if {owner} is not None:\n{indent}{step}{body.lstrip()}"
                yield suspect.score / top * 0.7, Edit(
                    "guard", at, end, text, stmt.lineno, body, 0.7)


def _tests_of(program: Program, stmt: ast.stmt) -> list[ast.expr]:
    """Return the conditions of a statement: an if's or while's, a ternary's, a filter's."""
    tests: list[ast.expr] = [stmt.test] if isinstance(stmt, ast.If | ast.While) else []
    for node in program.nodes_of(stmt):
        if isinstance(node, ast.IfExp):
            tests.append(node.test)
        elif isinstance(node, ast.comprehension):
            tests.extend(node.ifs)
    return tests


def _operands(test: ast.expr) -> Iterator[ast.expr]:
    """Yield test and, inside and/or, each of its operands."""
    yield test
    if isinstance(test, ast.BoolOp):
        for value in test.values:
            yield from _operands(value)


def _owners(test: ast.expr, attributes: set[str]) -> list[str]:
    """Return the owners (names, attribute chains) test reads one of attributes on.

    Owners the test already compares with None are left out.
    """
    checked = none_checked(test)
    found = [ast.unparse(n.value) for n in ast.walk(test)
             if isinstance(n, ast.Attribute) and n.attr in attributes and is_chain(n.value)]
    return [owner for owner in dict.fromkeys(found) if owner not in checked]


def _generator_returns(program: Program, hints: Hints) -> Iterator[tuple[float, Edit]]:
    """`raise StopIteration` → `return` in a generator; its bare `next(it)` returns when empty.

    Before Python 3.7 (PEP 479) a StopIteration leaving a generator ended it quietly;
    now it is a RuntimeError, and code written before says `raise StopIteration()` to
    end early, or lets `prev = next(it)` end it when `it` is empty.
    """
    if not hints.stopped:
        return
    from healloop.repair.statements import indent_step  # one indentation rule for both

    step = indent_step(program)
    for stmt in program.statements:
        function = program.function_of(stmt)
        if not isinstance(function, ast.FunctionDef) or not any(
                isinstance(n, ast.Yield | ast.YieldFrom) for n in walk_own(function)):
            continue
        start, end = program.span(stmt)
        old = program.source[start:end]
        if isinstance(stmt, ast.Raise) and stmt.exc is not None and _names_stop(stmt.exc):
            yield 0.9, Edit("guard", start, end, "return", stmt.lineno, old, 0.9)
        elif (isinstance(stmt, ast.Assign | ast.Expr) and _bare_next(stmt.value)
              and not _catches_stop(program, stmt, function)):
            indent = program.indent_of(stmt)
            text = (f"try:\n{indent}{step}{old}\n{indent}except StopIteration:\n"
                    f"{indent}{step}return")
            yield 0.8, Edit("guard", start, end, text, stmt.lineno, old, 0.8)


def _names_stop(exc: ast.expr) -> bool:
    called = exc.func if isinstance(exc, ast.Call) else exc
    return isinstance(called, ast.Name) and called.id == "StopIteration"


def _bare_next(value: ast.expr) -> bool:
    """`next(it)` with no default, the statement's whole value."""
    return (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
            and value.func.id == "next" and len(value.args) == 1 and not value.keywords)


def _catches_stop(program: Program, stmt: ast.stmt, function: ast.FunctionDef) -> bool:
    """Whether a try around the statement, inside the function, catches StopIteration."""
    node = program.parents.get(stmt)
    while node is not None and node is not function:
        if isinstance(node, ast.Try) and any(
            h.type is None or any(isinstance(n, ast.Name) and n.id in (
                "StopIteration", "Exception", "BaseException") for n in ast.walk(h.type))
            for h in node.handlers
        ):
            return True
        node = program.parents.get(node)
    return False
