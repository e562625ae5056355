"""Each kind of edit the repair search tries, on the kind of bug it is meant for."""

from __future__ import annotations

import ast
import textwrap

import pytest

from healloop.repair.edits import Edit, apply, changed_tokens
from healloop.repair.operators import expression_edits
from healloop.repair.program import Program
from healloop.repair.statements import _carried, _fills, statement_edits


def edits_at(source: str, line: int) -> list[Edit]:
    program = Program(source)
    found: list[Edit] = []
    for stmt in program.statements:
        if stmt.lineno == line:
            scope = program.scope_of(stmt)
            found += expression_edits(program, stmt, scope)
            found += statement_edits(program, stmt, scope)
    return found


def variants(source: str, line: int) -> dict[str, Edit]:
    """Map each candidate source (normalised by the parser) to the edit making it."""
    out: dict[str, Edit] = {}
    for edit in edits_at(source, line):
        text = apply(source, [edit])
        try:
            out.setdefault(ast.unparse(ast.parse(text)), edit)
        except SyntaxError:
            continue
    return out


def norm(source: str) -> str:
    return ast.unparse(ast.parse(textwrap.dedent(source)))


CASES = [
    pytest.param(
        "def f(lo, hi):\n    while lo < hi:\n        lo += 1\n    return lo\n", 2,
        "def f(lo, hi):\n    while lo <= hi:\n        lo += 1\n    return lo\n",
        "operator", id="comparison"),
    pytest.param(
        "def f(a, b):\n    return a + b\n", 2, "def f(a, b):\n    return a - b\n",
        "operator", id="arithmetic"),
    pytest.param(
        "def f(n):\n    return n | 1\n", 2, "def f(n):\n    return n & 1\n",
        "operator", id="bitwise"),
    pytest.param(
        "def f(a, b):\n    return a and b\n", 2, "def f(a, b):\n    return a or b\n",
        "operator", id="boolean"),
    pytest.param(
        "def f(t, x):\n    t -= x\n    return t\n", 2, "def f(t, x):\n    t += x\n    return t\n",
        "operator", id="augmented-assignment"),
    pytest.param(
        "def f(xs):\n    if xs:\n        return 1\n    return 0\n", 2,
        "def f(xs):\n    if not xs:\n        return 1\n    return 0\n",
        "negation", id="negation-added"),
    pytest.param(
        "def f(xs):\n    if not xs:\n        return 1\n    return 0\n", 2,
        "def f(xs):\n    if xs:\n        return 1\n    return 0\n",
        "negation", id="negation-removed"),
    pytest.param(
        "def f(n):\n    return n % 25\n", 2, "def f(n):\n    return n % 26\n",
        "constant", id="integer-plus-one"),
    pytest.param(
        "def f():\n    flag = False\n    return flag\n", 2,
        "def f():\n    flag = True\n    return flag\n", "constant", id="boolean-constant"),
    pytest.param(
        "def f(xs, i):\n    return xs[i]\n", 2, "def f(xs, i):\n    return xs[i - 1]\n",
        "off_by_one", id="index-minus-one"),
    pytest.param(
        "def f(n):\n    return list(range(n))\n", 2,
        "def f(n):\n    return list(range(n + 1))\n", "off_by_one", id="range-bound"),
    pytest.param(
        "def f(lo, mid):\n    hi = mid - 1\n    return hi\n", 2,
        "def f(lo, mid):\n    hi = mid\n    return hi\n", "off_by_one", id="drop-minus-one"),
    pytest.param(
        "class V:\n    def __init__(self, a, b):\n        self._a, self._b = a, b\n\n"
        "    def bump_b(self):\n        return V(self._a, self._a + 1)\n", 6,
        "class V:\n    def __init__(self, a, b):\n        self._a, self._b = a, b\n\n"
        "    def bump_b(self):\n        return V(self._a, self._b + 1)\n",
        "identifier", id="attribute-the-method-never-names"),
    pytest.param(
        "from errs import ParseError\n\n\ndef f(s):\n    if not s:\n"
        "        raise ValueError(s)\n    return s\n", 6,
        "from errs import ParseError\n\n\ndef f(s):\n    if not s:\n"
        "        raise ParseError(s)\n    return s\n", "identifier", id="exception-raised"),
    pytest.param(
        "def f(a, b):\n    if not a:\n        return -1\n    return 0\n", 3,
        "def f(a, b):\n    if not a:\n        return 1\n    return 0\n", "constant", id="sign"),
    pytest.param(
        "def f(x, levels):\n    return (x,) * levels\n", 2,
        "def f(x, levels):\n    return (x,) * (levels - 1)\n", "off_by_one", id="repeat-count"),
    pytest.param(
        "def f(a, b):\n    n = a * 2\n    m = b * 2\n    return n - n\n", 4,
        "def f(a, b):\n    n = a * 2\n    m = b * 2\n    return n - m\n",
        "identifier", id="variable"),
    pytest.param(
        "def f(node):\n    return node.left.key, node.right\n", 2,
        "def f(node):\n    return node.right.key, node.right\n", "identifier",
        id="attribute"),
    pytest.param(
        "def f(xs):\n    return max(xs)\n", 2, "def f(xs):\n    return min(xs)\n",
        "identifier", id="function"),
    pytest.param(
        "def f(s):\n    return s.startswith('x')\n", 2,
        "def f(s):\n    return s.endswith('x')\n", "identifier", id="method"),
    pytest.param(
        "def f(t, w):\n    return t.replace('*', w)\n", 2,
        "def f(t, w):\n    return t.replace(w, '*')\n", "swap", id="call-arguments"),
    pytest.param(
        "def f(a, b):\n    return b % a\n", 2, "def f(a, b):\n    return a % b\n",
        "swap", id="binary-operands"),
    pytest.param(
        "def f(d, i, j, k):\n    return d[i, k] + d[j, k]\n", 2,
        "def f(d, i, j, k):\n    return d[i, k] + d[k, j]\n", "swap",
        id="subscript-index-elements"),
    pytest.param(
        "def f(lo, hi):\n    return hi, lo\n", 2, "def f(lo, hi):\n    return lo, hi\n",
        "swap", id="tuple-elements"),
    pytest.param(
        "def f(coins, total):\n    if total < 0:\n        return 0\n"
        "    first, *rest = coins\n    return f(coins, total - first) + f(rest, total)\n", 2,
        "def f(coins, total):\n    if total < 0 or not coins:\n        return 0\n"
        "    first, *rest = coins\n    return f(coins, total - first) + f(rest, total)\n",
        "condition", id="emptiness-of-an-unpacked-sequence"),
    pytest.param(
        "def f(xs, n):\n    return xs[:-n]\n", 2, "def f(xs, n):\n    return xs[-n:]\n",
        "slice", id="slice-bound-moved"),
    pytest.param(
        "def f(xs, i):\n    return xs[i:]\n", 2, "def f(xs, i):\n    return xs[:]\n",
        "slice", id="slice-bound-dropped"),
    pytest.param(
        "def f(a, b):\n    d = a - b\n    return d\n", 2,
        "def f(a, b):\n    d = abs(a - b)\n    return d\n", "wrap", id="wrap-abs"),
    pytest.param(
        "def f(a, b):\n    return abs(a - b)\n", 2, "def f(a, b):\n    return a - b\n",
        "wrap", id="unwrap"),
    pytest.param(
        "def f(a, b):\n    if a > 0:\n        return a\n    if b:\n        return b\n", 4,
        "def f(a, b):\n    if a > 0:\n        return a\n    if b and a > 0:\n        return b\n",
        "condition", id="condition-narrowed"),
    pytest.param(
        "def f(xs):\n    out = []\n    seen = set()\n    for x in xs:\n"
        "        out.append(x)\n        seen.add(x)\n    return out\n", 5,
        "def f(xs):\n    out = []\n    seen = set()\n    for x in xs:\n"
        "        if x not in seen:\n            out.append(x)\n        seen.add(x)\n"
        "    return out\n", "condition", id="statement-put-under-a-condition"),
    pytest.param(
        "def f(xs):\n    t = 0\n    for x in xs:\n        t = 0\n        t += x\n    return t\n", 4,
        "def f(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t\n",
        "delete", id="statement-deleted"),
    pytest.param(
        "def f(xs):\n    best = xs[0]\n    return best\n", 2,
        "def f(xs):\n    if not xs:\n        return None\n    best = xs[0]\n    return best\n",
        "guard", id="guard-added"),
    pytest.param(
        "def f(s):\n    i = 0\n    while i < len(s):\n        if s[i] == ' ':\n"
        "            pass\n        else:\n            i += 1\n    return i\n", 5,
        "def f(s):\n    i = 0\n    while i < len(s):\n        if s[i] == ' ':\n"
        "            i += 1\n            pass\n        else:\n            i += 1\n    return i\n",
        "insert", id="statement-copied"),
    pytest.param(
        "class C:\n    def get(self, k):\n        v = self.d[k]\n        return v\n\n"
        "    def put(self, k, v):\n        self.d.move_to_end(k)\n        self.d[k] = v\n", 3,
        "class C:\n    def get(self, k):\n        self.d.move_to_end(k)\n        v = self.d[k]\n"
        "        return v\n\n    def put(self, k, v):\n        self.d.move_to_end(k)\n"
        "        self.d[k] = v\n", "insert", id="statement-copied-from-a-sibling-method"),
    pytest.param(
        "def second(seq):\n    seq = iter(seq)\n    next(seq)\n    return next(seq)\n\n"
        "def interpose(el, seq):\n    inposed = chain(zip(repeat(el), seq))\n"
        "    return inposed\n", 8,
        "def second(seq):\n    seq = iter(seq)\n    next(seq)\n    return next(seq)\n\n"
        "def interpose(el, seq):\n    inposed = chain(zip(repeat(el), seq))\n"
        "    next(inposed)\n    return inposed\n", "insert",
        id="call-of-another-function-copied-onto-a-local"),
    pytest.param(
        "def f(xs):\n    out, run = [], []\n    for x in xs:\n        if x:\n"
        "            run.append(x)\n        else:\n            out.append(run)\n"
        "    return out\n", 3,
        "def f(xs):\n    out, run = [], []\n    for x in xs:\n        if x:\n"
        "            run.append(x)\n        else:\n            out.append(run)\n"
        "    out.append(run)\n    return out\n", "insert", id="statement-copied-after-a-loop"),
    pytest.param(
        "def f(p, q):\n    return abs(p[0] - q[0]) + (p[1] - q[1])\n", 2,
        "def f(p, q):\n    return abs(p[0] - q[0]) + abs(p[1] - q[1])\n", "wrap",
        id="abs-of-a-difference-in-a-sum"),
    pytest.param(
        "def f(dp, i, j):\n    return dp[i - 1, j] + 1\n", 2,
        "def f(dp, i, j):\n    return dp[i - 1, j - 1] + 1\n", "off_by_one",
        id="tuple-index"),
    pytest.param(
        "def f(s, c):\n    s = s + c\n    return s\n", 2,
        "def f(s, c):\n    s = c + s\n    return s\n", "swap", id="concatenation-order"),
    pytest.param(
        "def flat(xs):\n    for x in xs:\n        if isinstance(x, list):\n"
        "            yield from flat(x)\n        else:\n            yield flat(x)\n", 6,
        "def flat(xs):\n    for x in xs:\n        if isinstance(x, list):\n"
        "            yield from flat(x)\n        else:\n            yield x\n", "wrap",
        id="unwrap-a-call-of-our-own-function"),
    pytest.param(
        "def wrap(text, cols):\n    lines = []\n    while len(text) > cols:\n"
        "        line, text = text[:cols], text[cols:]\n        lines.append(line)\n"
        "    return lines\n", 3,
        "def wrap(text, cols):\n    lines = []\n    while len(text) > cols:\n"
        "        line, text = text[:cols], text[cols:]\n        lines.append(line)\n"
        "    lines.append(text)\n    return lines\n", "insert",
        id="copy-adapted-after-a-loop"),
    pytest.param(
        "def f(queue):\n    while True:\n        queue.pop()\n", 2,
        "def f(queue):\n    while queue:\n        queue.pop()\n", "condition",
        id="endless-loop-bounded-by-a-collection"),
    pytest.param(
        "def f(name, kind):\n    raise TypeError(\n        'Field {name} must be '\n"
        "        'a {kind.__name__}'\n    )\n", 2,
        "def f(name, kind):\n    raise TypeError(\n        f'Field {name} must be '\n"
        "        f'a {kind.__name__}'\n    )\n", "constant", id="forgotten-f-prefix"),
    pytest.param(
        "def f(x, digits):\n    return format(x, '.%if' % (digits - 1))\n", 2,
        "def f(x, digits):\n    return format(x, '.%if' % max(digits - 1, 0))\n", "wrap",
        id="difference-clamped-at-zero"),
    pytest.param(
        "RATES = {'TEN': 0.1}\n\n\ndef rate(code):\n    return RATES.get(code, 0.1)\n", 5,
        "RATES = {'TEN': 0.1}\n\n\ndef rate(code):\n    return RATES.get(code, 0.0)\n",
        "constant", id="float-default-meant-none"),
    pytest.param(
        "def fee(amount):\n    return amount * 0.25\n", 2,
        "def fee(amount):\n    return amount * 0.025\n", "constant", id="float-decimal-slip"),
    pytest.param(
        "def name(user):\n    if 'name' in user:\n        return user['nmae']\n", 3,
        "def name(user):\n    if 'name' in user:\n        return user['name']\n", "constant",
        id="string-key-misspelt"),
    pytest.param(
        "def counts(xs):\n    d = {}\n    for x in xs:\n        d[x] = 1\n    return d\n", 4,
        "def counts(xs):\n    d = {}\n    for x in xs:\n        d[x] += 1\n    return d\n",
        "operator", id="count-started-anew"),
    pytest.param(
        "def parts(v):\n    return v.split('-')\n\n\ndef join(p):\n    return '.'.join(p)\n", 2,
        "def parts(v):\n    return v.split('.')\n\n\ndef join(p):\n    return '.'.join(p)\n",
        "constant", id="separator"),
    pytest.param(
        "def head(xs, n=None):\n    if n < 0:\n        return []\n    return xs[:n]\n", 2,
        "def head(xs, n=None):\n    if n is not None and n < 0:\n        return []\n"
        "    return xs[:n]\n", "condition", id="null-check-conjoined"),
    pytest.param(
        "def last(node):\n    while True:\n        if node.next is None:\n"
        "            return node\n        node = node.next.next\n", 3,
        "def last(node):\n    while True:\n        if node is None or node.next is None:\n"
        "            return node\n        node = node.next.next\n", "condition",
        id="owner-checked-before-its-attribute"),
    pytest.param(
        "def reach(start, goal):\n    seen = set()\n\n    def go(at):\n"
        "        if at in seen:\n            return False\n        elif at is goal:\n"
        "            return True\n        else:\n"
        "            return any(go(n) for n in at.edges)\n\n    return go(start)\n", 5,
        "def reach(start, goal):\n    seen = set()\n\n    def go(at):\n"
        "        if at in seen:\n            return False\n        elif at is goal:\n"
        "            return True\n        else:\n            seen.add(at)\n"
        "            return any(go(n) for n in at.edges)\n\n    return go(start)\n", "insert",
        id="visited-set-filled-where-the-check-failed"),
    pytest.param(
        "def repeat(xs):\n    met = []\n    for x in xs:\n        if x in met:\n"
        "            return x\n        print(x)\n", 4,
        "def repeat(xs):\n    met = []\n    for x in xs:\n        if x in met:\n"
        "            return x\n        met.append(x)\n        print(x)\n", "insert",
        id="list-filled-after-a-check-that-leaves"),
    pytest.param(
        "def once(xs):\n    met = {}\n    out = []\n    for x in xs:\n"
        "        if x not in met:\n            out.append(x)\n    return out\n", 5,
        "def once(xs):\n    met = {}\n    out = []\n    for x in xs:\n"
        "        if x not in met:\n            met[x] = True\n            out.append(x)\n"
        "    return out\n", "insert", id="mapping-filled-where-the-key-is-new"),
    pytest.param(
        "class Field:\n    mapping_type = dict\n\n    def load(self, value):\n"
        "        if not value:\n            return self.mapping_type()\n        return value\n",
        7,
        "class Field:\n    mapping_type = dict\n\n    def load(self, value):\n"
        "        if not value:\n            return self.mapping_type()\n"
        "        return self.mapping_type(value)\n", "wrap", id="value-converted-by-class-type"),
    pytest.param(
        "class Table:\n    def __init__(self, pairs):\n        self.table = {}\n"
        "        self.table.update(pairs)\n\n    def sub(self, text):\n"
        "        return PATTERN.sub(self.pick, text)\n", 7,
        "class Table:\n    def __init__(self, pairs):\n        self.table = {}\n"
        "        self.table.update(pairs)\n\n    def sub(self, text):\n"
        "        if not self.table:\n            return text\n"
        "        return PATTERN.sub(self.pick, text)\n", "guard",
        id="empty-state-returns-the-input"),
    pytest.param(
        "def f(n, i):\n    return n - i == 0\n", 2, "def f(n, i):\n    return n % i == 0\n",
        "operator", id="any-arithmetic-operator"),
    pytest.param(
        "def f(x, b):\n    x -= b\n    return x\n", 2,
        "def f(x, b):\n    x //= b\n    return x\n", "operator",
        id="any-augmented-operator"),
    pytest.param(
        "def f(s):\n    return s.lower()\n", 2, "def f(s):\n    return s.swapcase()\n",
        "identifier", id="method-of-the-same-family"),
    pytest.param(
        "def f(xs):\n    return sum(xs)\n", 2, "def f(xs):\n    return len(xs)\n",
        "identifier", id="function-of-the-same-family"),
    pytest.param(
        "def f(parts):\n    return ' '.join(parts)\n", 2,
        "def f(parts):\n    return ''.join(parts)\n", "constant", id="separator-meant-empty"),
    pytest.param(
        "def f(xs: list):\n    return sorted(xs)\n", 2,
        "def f(xs: list):\n    return sorted(set(xs))\n", "wrap", id="distinct-items"),
    pytest.param(
        "def f(text: str):\n    return len(set(text))\n", 2,
        "def f(text: str):\n    return len(set(text.lower()))\n", "wrap",
        id="text-in-one-case"),
    pytest.param(
        "def f(a, b):\n    return a == b\n", 2, "def f(a, b):\n    return set(a) == set(b)\n",
        "wrap", id="both-sides-through-one-view"),
    pytest.param(
        "def f(xs):\n    return [xs.index(min(xs)), min(xs)]\n", 2,
        "def f(xs):\n    return [min(xs), xs.index(min(xs))]\n", "swap", id="list-items-swapped"),
    pytest.param(
        "def f(xs):\n    return [i * x for i, x in enumerate(xs)]\n", 2,
        "def f(xs):\n    return [i * x for i, x in enumerate(xs)][1:]\n", "slice",
        id="returned-list-without-its-first"),
    pytest.param(
        "def f(n):\n    return 'db' + str(n) + 'd'\n", 2,
        "def f(n):\n    return 'db' + str(n) + 'db'\n", "constant",
        id="one-letter-for-a-longer-string"),
    pytest.param(
        "def f(s):\n    return s[0:2] == ' I'\n", 2, "def f(s):\n    return s[0:2] == 'I '\n",
        "constant", id="short-string-reversed"),
    pytest.param(
        "def f(c):\n    return c in 'aeiou'\n", 2, "def f(c):\n    return c in 'aeiouAEIOU'\n",
        "constant", id="letters-in-both-cases"),
    pytest.param(
        "def f(xs):\n    return sorted(xs)\n", 2,
        "def f(xs):\n    return sorted(xs, reverse=True)\n", "wrap", id="sorted-the-other-way"),
    pytest.param(
        "def f(s: str):\n    return s\n", 2,
        "def f(s: str):\n    return s.swapcase()\n", "wrap", id="case-forgotten"),
    pytest.param(
        "def f(words):\n    return max(words)\n", 2,
        "def f(words):\n    return max(words, key=len)\n", "wrap", id="the-key-forgotten"),
    pytest.param(
        "def f(words):\n    kept = [w for w in words if w]\n    return kept\n", 3,
        "def f(words):\n    kept = [w for w in words if w]\n    return sorted(kept, key=len)\n",
        "wrap", id="sorted-by-length"),
    pytest.param(
        "def f(xs):\n    xs.sort()\n    return xs\n", 2,
        "def f(xs):\n    xs.sort(key=abs)\n    return xs\n", "wrap", id="sorted-by-size"),
    pytest.param(
        "def f(s):\n    return s.replace(',', '.').replace('.', ',')\n", 2,
        "def f(s):\n    return s.replace(',', '.')\n", "wrap", id="one-call-too-many"),
    pytest.param(
        "def f(d):\n    return d in (1, 2, 3, 5, 7, 9)\n", 2,
        "def f(d):\n    return d in (1, 3, 5, 7, 9)\n", "constant", id="one-constant-too-many"),
    pytest.param(
        "def f(xs, k):\n    return sum(x for x in xs if x < 100)\n", 2,
        "def f(xs, k):\n    return sum(x for x in xs[:k] if x < 100)\n", "slice",
        id="only-the-first-k"),
    pytest.param(
        "def f(a, b):\n    def is_prime(n):\n        return n > 1\n    n = b - a\n"
        "    if n > 0:\n        return 'YES'\n    return 'NO'\n", 5,
        "def f(a, b):\n    def is_prime(n):\n        return n > 1\n    n = b - a\n"
        "    if n > 0 and is_prime(n):\n        return 'YES'\n    return 'NO'\n", "condition",
        id="a-predicate-the-code-defines"),
    pytest.param(
        "def f(text: str):\n    start = 0\n    while not ok(text):\n        start += 1\n"
        "    return start\n", 3,
        "def f(text: str):\n    start = 0\n    while not ok(text[start:]):\n"
        "        start += 1\n    return start\n", "slice", id="the-part-from-an-index-on"),
    pytest.param(
        "def f(n):\n    i = 0\n    while i < n:\n        i += 1\n    return i\n", 2,
        "def f(n):\n    i = 2\n    while i < n:\n        i += 1\n    return i\n", "constant",
        id="a-start-two-further"),
    pytest.param(
        "def f(xs):\n    out = []\n    top = xs[0]\n    for x in xs:\n        top = max(xs)\n"
        "        out.append(top)\n    return out\n", 5,
        "def f(xs):\n    out = []\n    top = xs[0]\n    for x in xs:\n        top = max(top, x)\n"
        "        out.append(top)\n    return out\n", "wrap", id="a-running-extreme"),
    pytest.param(
        "def f(c):\n    letters = 'abcdefghijklmnopqrstuvwxyz'\n"
        "    return letters[(letters.index(c) + 4) % 24]\n", 3,
        "def f(c):\n    letters = 'abcdefghijklmnopqrstuvwxyz'\n"
        "    return letters[(letters.index(c) + 4) % len(letters)]\n", "constant",
        id="a-size-written-as-a-number"),
    pytest.param(
        "def f(xs: list):\n    mean = sum(xs) / len(xs)\n"
        "    return sum(abs(x - mean) for x in xs) / mean\n", 3,
        "def f(xs: list):\n    mean = sum(xs) / len(xs)\n"
        "    return sum(abs(x - mean) for x in xs) / len(xs)\n", "identifier",
        id="divided-by-the-count"),
]


@pytest.mark.parametrize(("source", "line", "fixed", "kind"), CASES)
def test_edit_kind_produces_the_fix(source: str, line: int, fixed: str, kind: str) -> None:
    found = variants(source, line)
    assert norm(fixed) in found, sorted(found)
    assert found[norm(fixed)].kind == kind


def test_a_string_is_written_in_the_quotes_the_code_uses() -> None:
    source = 'def parts(v):\n    return v.split("-")\n\n\ndef join(p):\n    return ".".join(p)\n'
    texts = {apply(source, [e]) for e in edits_at(source, 2)}
    assert source.replace('split("-")', 'split(".")') in texts
def test_a_null_check_is_conjoined_only_where_the_name_may_be_none() -> None:
    source = "def head(xs, n):\n    if n < 0:\n        return []\n    return xs[:n]\n"
    assert not [e for e in edits_at(source, 2) if "is not None" in e.text]
    checked = "def head(xs, n=None):\n    if n is not None and n < 0:\n        return xs\n"
    assert not [e for e in edits_at(checked, 2) if e.text.startswith("n is not None and (")]


def test_a_forgotten_conversion_is_made_at_each_copy_of_the_statement() -> None:
    source = (
        "class Field:\n    mapping_type = dict\n\n"
        "    def dump(self, value):\n        if self.bare:\n            return value\n"
        "        return self.mapping_type(x for x in value)\n\n"
        "    def load(self, value):\n        if self.bare:\n            return value\n"
        "        return self.mapping_type(x for x in value)\n"
    )
    found = variants(source, 6)
    both = norm(source.replace("return value", "return self.mapping_type(value)"))
    assert both in found
    assert found[both].kind == "wrap"


def test_no_conversion_without_a_callable_the_code_applies() -> None:
    source = "class Field:\n    def load(self, value):\n        return value\n"
    assert not [e for e in edits_at(source, 3) if "self." in e.text]


def test_no_empty_state_guard_for_collections_built_full() -> None:
    source = ("class Table:\n    def __init__(self, pairs):\n        self.table = dict(pairs)\n\n"
              "    def sub(self, text):\n        return PATTERN.sub(self.pick, text)\n")
    assert not [e for e in edits_at(source, 6) if "not self.table" in e.text]


def test_templates_for_format_are_not_made_f_strings() -> None:
    source = "def f(x):\n    return '{0} {x}'.format(1, x=x) + '{}'\n"
    assert not [e for e in edits_at(source, 2) if e.text.startswith("f")]


def test_replacement_is_parenthesised_where_precedence_needs_it() -> None:
    source = "def f(a, i):\n    return a * i\n"
    texts = {apply(source, [e]) for e in edits_at(source, 2)}
    assert "def f(a, i):\n    return a * (i + 1)\n" not in texts  # `i` is no index here
    source = "def f(a, i):\n    return a[i] * 2\n"
    texts = {apply(source, [e]) for e in edits_at(source, 2)}
    assert "def f(a, i):\n    return a[i + 1] * 2\n" in texts
    source = "def f(a, b, c):\n    return a - b - c\n"
    texts = {apply(source, [e]) for e in edits_at(source, 2)}
    assert "def f(a, b, c):\n    return c - (a - b)\n" in texts


def test_edits_keep_comments_and_layout() -> None:
    source = "def f(n):  # count down\n    while n >= 0:   # keep going\n        n -= 1\n"
    edit = next(e for e in edits_at(source, 2) if e.text == ">")
    assert apply(source, [edit]) == (
        "def f(n):  # count down\n    while n > 0:   # keep going\n        n -= 1\n"
    )
    assert edit.describe() == "line 2: `>=` → `>`"


def test_edit_descriptions_name_deletions_and_insertions() -> None:
    source = (
        "def f(xs):\n    t = 0\n    for x in xs:\n        t = 0\n        t += x\n    return t\n"
    )
    deletion = next(e for e in edits_at(source, 4) if e.kind == "delete")
    assert deletion.describe() == "line 4: delete `t = 0`"
    guard = next(e for e in edits_at(source, 2) if e.kind == "guard")
    assert guard.describe().startswith("line 2: insert `if ")


def test_changed_tokens_counts_the_difference_only() -> None:
    assert changed_tokens("x = a < b\n", "x = a <= b\n") == 1
    assert changed_tokens("x = a[i]\n", "x = a[i + 1]\n") == 2
    assert changed_tokens("x = 1  # note\n", "x = 1\n") == 0


def test_a_binary_searchs_bound_is_no_sum_to_accumulate() -> None:
    source = ("def find_min(nums):\n    lo, hi = 0, len(nums) - 1\n    while lo < hi:\n"
              "        mid = (lo + hi) // 2\n        if nums[mid] > nums[hi]:\n"
              "            lo = mid\n        else:\n            hi = mid\n    return nums[lo]\n")
    assert not [e for e in edits_at(source, 6) if e.text == "+="]
    summed = "def total(xs):\n    t = 0\n    for x in xs:\n        t = x\n    return t\n"
    assert [e for e in edits_at(summed, 4) if e.text == "+="]


def test_an_attributes_owner_is_checked_for_none_only_where_none_is_tested() -> None:
    source = "def walk(node):\n    while node.next is not None:\n        node = node.next\n"
    found = variants(source, 2)
    checked = norm(source.replace("while node.next", "while node is not None and node.next"))
    assert checked in found and found[checked].weight <= 0.2
    plain = "def walk(node):\n    while node.next:\n        node = node.next\n"
    assert not [e for e in edits_at(plain, 2) if "node is not None" in e.text]


def test_a_collection_something_fills_is_not_filled_again() -> None:
    filled = ("def reach(start, goal):\n    seen = set()\n\n    def go(at):\n"
              "        if at in seen:\n            return False\n        seen.add(at)\n"
              "        return at is goal or any(go(n) for n in at.edges)\n\n"
              "    return go(start)\n")
    assert not fills_at(filled, 5)
    handed = ("def reach(start, seen):\n    seen = set()\n    mark(seen, start)\n"
              "    if start in seen:\n        return True\n    return False\n")
    assert not fills_at(handed, 4)
    full = "def f(x):\n    seen = {1, 2}\n    if x in seen:\n        return 1\n    return 0\n"
    assert not fills_at(full, 3)
    assert fills_at(full.replace("{1, 2}", "set()"), 3)


def fills_at(source: str, line: int) -> list[Edit]:
    """Return the fills of an unfilled collection offered at a line's statement."""
    program = Program(source)
    return [e for s in program.statements if s.lineno == line for e in _fills(program, s)]


def test_a_name_unpacked_from_is_a_sequence_and_a_starred_target_a_list() -> None:
    program = Program(
        "def f(coins, pair):\n    first, *rest = coins\n    lo, hi = pair\n"
        "    for head, *tail in rest:\n        pass\n    return first, lo, hi\n")
    names = program.scope_of(program.statements[0]).names
    assert {"coins", "pair", "rest", "tail"} <= {n for n, kinds in names.items() if "seq" in kinds}
    assert "seq" not in names["first"] | names["lo"] | names["head"]


def test_a_parameters_annotation_says_its_kind() -> None:
    source = ("def f(xs: List[int], name: str, n: int, flag: bool, other: Widget, free):\n"
              "    return xs\n")
    program = Program(source)
    names = program.scope_of(program.statements[0]).names
    assert names["xs"] == {"seq"} and names["name"] == {"str"} and names["n"] == {"num"}
    assert names["flag"] == {"bool"} and names["other"] == set() and names["free"] == set()


def test_the_items_two_nested_loops_pair_may_be_required_to_match() -> None:
    source = ("def common(xs, ys):\n    out = set()\n    for x in xs:\n        for y in ys:\n"
              "            out.add(x)\n    return sorted(out)\n")
    guarded = source.replace("            out.add(x)\n",
                             "            if x == y:\n                out.add(x)\n")
    assert norm(guarded) in variants(source, 5)


def test_the_item_a_loop_over_all_but_the_last_leaves_is_handled_after_it() -> None:
    source = ("def intersperse(xs, sep):\n    out = []\n    for x in xs[:-1]:\n"
              "        out.append(x)\n        out.append(sep)\n    return out\n")
    fixed = source.replace("    return out\n", "    out.append(xs[-1])\n    return out\n")
    assert norm(fixed) in variants(source, 3)


def test_a_loop_whose_body_never_changes_what_it_tests_gets_the_step() -> None:
    source = ("def roman(n):\n    out = ''\n    count = n // 10\n    while count:\n"
              "        out += 'X'\n    return out\n")
    stepped = source.replace("        out += 'X'\n", "        out += 'X'\n        count -= 1\n")
    assert norm(stepped) in variants(source, 4)
    leaves = source.replace("        out += 'X'\n", "        out += 'X'\n        break\n")
    assert not [e for e in edits_at(leaves, 4) if "count -= 1" in e.text]


def test_a_value_a_loop_reads_and_never_moves_on_gets_its_update() -> None:
    source = ("def reverse(node):\n    prev = None\n    while node:\n        nxt = node.next\n"
              "        node.next = prev\n        node = nxt\n    return prev\n")
    fixed = source.replace("        node.next = prev\n",
                           "        node.next = prev\n        prev = node\n")
    assert norm(fixed) in variants(source, 3)
    best = ("def count_records(xs):\n    best, n = 0, 0\n    for x in xs:\n        if x > best:\n"
            "            n += 1\n    return n, best\n")
    updated = best.replace("            n += 1\n", "            n += 1\n            best = x\n")
    assert norm(updated) in variants(best, 3)
    # once the loop sets it, it is no value left behind
    program = Program(fixed)
    assert not list(_carried(program, program.statements[1]))


def test_the_item_meant_is_one_the_function_reads_of_another_collection() -> None:
    source = ("def relax(edges, dist):\n    for (u, v), w in edges.items():\n"
              "        edges[u, v] = min(dist[u] + w, dist[v])\n    return dist\n")
    fixed = source.replace("        edges[u, v] = ", "        dist[v] = ")
    assert norm(fixed) in variants(source, 3)


def test_a_call_in_arithmetic_may_be_the_number_in_hand() -> None:
    source = ("def step(heap, lengths, node):\n    distance, here = heap.pop()\n"
              "    return lookup(heap, node) + lengths[here, node]\n\n\n"
              "def lookup(heap, node):\n    return 0\n")
    fixed = source.replace("lookup(heap, node) + ", "distance + ")
    assert norm(fixed) in variants(source, 3)
    assert norm(source.replace("lookup(heap, node) + ", "node + ")) not in variants(source, 3)
