"""Failing tests' messages name the fix: a missing raise, an exception a handler
lets through, a misspelt attribute or name. Repair reads them and tries those first."""

from __future__ import annotations

from pathlib import Path

import pytest

from healloop.repair.edits import apply
from healloop.repair.heal import heal
from healloop.repair.hinted import hinted_edits
from healloop.repair.hints import control_characters, read
from healloop.repair.localise import Suspect
from healloop.repair.program import Program
from healloop.sandbox import Limits, Workspace, run_tests


def test_messages_are_read_for_what_they_name() -> None:
    hints = read([
        "E       Failed: DID NOT RAISE <class 'ValueError'>",
        "E   AssertionError: TypeError not raised",
        "    def f():\nE   OverflowError: cannot convert float infinity to integer",
        "E   AttributeError: 'set' object has no attribute 'issupserset'",
        "E   NameError: name 'lenght' is not defined",
        "E   assert 1 == 2",
        "E       AssertionError: assert 'PT5M25M' == 'PT5H25M'\nE         \nE         - PT5H25M",
    ])
    assert hints.not_raised == ["ValueError", "TypeError"]
    assert "OverflowError" in hints.escaped
    assert ("set", "issupserset") in hints.missing_attributes
    assert hints.undefined == ["lenght"]
    assert hints.strings == [("PT5M25M", "PT5H25M")]
    assert not read(["E   assert 1 == 2"])


def test_a_raise_with_the_wrong_message_reads_as_the_raise_the_test_meant() -> None:
    unittest_style = read([
        '>       self.assertRaisesRegex(\n            ValueError,\n'
        '            "n must be at least 0",\n            lambda: chunked("ABC", -1),\n        )\n'
        'E       AssertionError: "n must be at least 0" does not match "Stop argument"'])
    assert unittest_style.not_raised == ["ValueError"]
    assert unittest_style.messages == ["n must be at least 0"]
    pytest_style = read([
        ">       with pytest.raises(KeyError, match=r'no key \\.x'):\n"
        "E       AssertionError: Regex pattern did not match.\n"
        "E         Expected regex: 'no key \\.x'\n"
        "E         Actual message: 'x'"])
    assert pytest_style.not_raised == ["KeyError"]
    assert pytest_style.messages == ["no key .x"]
    pattern = read([
        ">       with pytest.raises(KeyError, match='a+'):\n"
        "E       AssertionError: Regex pattern did not match.\n"
        "E         Expected regex: 'a+'\n"
        "E         Actual message: 'x'"])
    assert pattern.not_raised == ["KeyError"] and not pattern.messages
    assert not read(['E       AssertionError: "a" does not match "b"'])


def _heal(tmp_path: Path, module: str, source: str, tests: str) -> str:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / module).write_text(source)
    (repo / "test_it.py").write_text(tests)
    with Workspace(repo) as workspace:
        run = run_tests(workspace, ["test_it.py"])
    assert run.failing
    repair = heal(repo, module, source, run, measured_on_source=True, limits=Limits(),
                  seconds=60)
    assert repair.patches, "no patch"
    return repair.patches[0].source


CHUNKS = """\
def pad(items, n):
    out = list(items)
    out.extend([None] * n)
    return out
"""
CHUNKS_TESTS = """\
import pytest
from chunks import pad


def test_pad():
    assert pad([1], 2) == [1, None, None]


def test_negative():
    with pytest.raises(ValueError):
        pad([1, 2, 3], -1)
"""


@pytest.mark.slow
def test_a_missing_raise_is_inserted_as_a_guard(tmp_path: Path) -> None:
    healed = _heal(tmp_path, "chunks.py", CHUNKS, CHUNKS_TESTS)
    assert "    if n < 0:\n        raise ValueError(" in healed


TO_INT = """\
def to_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
"""
TO_INT_TESTS = """\
from to_int import to_int


def test_text():
    assert to_int("x") is None


def test_number():
    assert to_int(3.0) == 3


def test_infinity():
    assert to_int(float("inf")) is None
"""


@pytest.mark.slow
def test_an_escaped_exception_is_added_to_the_handler(tmp_path: Path) -> None:
    healed = _heal(tmp_path, "to_int.py", TO_INT, TO_INT_TESTS)
    assert "except (TypeError, ValueError, OverflowError):" in healed


SETS = """\
class Bag:
    def __init__(self, items):
        self.items = set(items)

    def covers(self, other):
        return self.items.issupserset(other.items)

    def within(self, other):
        return other.items.issupserset(self.items)
"""
SETS_TESTS = """\
from bag import Bag


def test_covers():
    assert Bag([1, 2]).covers(Bag([1]))


def test_within():
    assert Bag([1]).within(Bag([1, 2]))
"""


@pytest.mark.slow
def test_a_misspelt_attribute_is_corrected_everywhere(tmp_path: Path) -> None:
    healed = _heal(tmp_path, "bag.py", SETS, SETS_TESTS)
    assert healed == SETS.replace("issupserset", "issuperset")


DURATION = """\
def iso(hours, minutes):
    out = ["PT"]
    if hours:
        out.append("%sM" % hours)
    if minutes:
        out.append("%sM" % minutes)
    return "".join(out)
"""
DURATION_TESTS = """\
from duration import iso


def test_minutes():
    assert iso(0, 25) == "PT25M"


def test_both():
    assert iso(5, 25) == "PT5H25M"
"""


@pytest.mark.slow
def test_a_literal_writing_the_piece_an_assertion_differs_in_is_rewritten(tmp_path: Path) -> None:
    # isodate's duration format with "%sM" for hours: no other literal of the module
    # writes "%sH", so no edit of the usual operators could make it.
    healed = _heal(tmp_path, "duration.py", DURATION, DURATION_TESTS)
    assert healed == DURATION.replace('"%sM" % hours', '"%sH" % hours')


_EXAMPLES = "".join(f"    >>> get({i}, {'abcdefghij'!r})  # docstrings are long\n    {c!r}\n"
                    for i, c in enumerate("abcdefghij") for _ in range(2))
GET = f'''\
import operator


def get(ind, seq):
    """Return seq[ind], or a tuple of the items at each index of a list.

{_EXAMPLES}    """
    if not isinstance(ind, list):
        return seq[ind]
    if len(ind) > 1:
        return operator.itemgetter(*ind)(seq)
    return (seq[ind[0]],)
'''
GET_TESTS = """\
from picks import get


def test_one():
    assert get(1, "AB") == "B"


def test_several():
    assert get([0, 1], "AB") == ("A", "B")
    assert get([1], "AB") == ("B",)


def test_none():
    assert get([], "AB") == ()
"""


def test_a_call_compared_with_a_literal_says_what_it_should_return() -> None:
    message = """\
    def test_none():
>       assert get([], 'AB') == ()

test_it.py:12:
...
>       self.assertEqual(first([]), None)
>       assert last(x) is None
>       assert g(1) == h(2)
E       IndexError: list index out of range"""
    assert read([message]).expected == [("get", "()"), ("first", "None"), ("last", "None")]


@pytest.mark.slow
def test_the_value_a_test_expects_is_returned_for_the_input_it_names(tmp_path: Path) -> None:
    # toolz's get([], seq): the IndexError is raised at the end of a long function, so
    # the end of pytest's report alone no longer shows the test's line that names ().
    healed = _heal(tmp_path, "picks.py", GET, GET_TESTS)
    assert "    if not ind:\n        return ()\n" in healed


def _hinted(source: str, messages: list[str]) -> list[str]:
    """Return the sources the hints' edits make, likeliest first."""
    program = Program(source)
    suspects = [Suspect(stmt=s, score=1.0) for s in program.statements]
    found = sorted(hinted_edits(program, suspects, read(messages), 1.0), key=lambda pe: -pe[0])
    return [apply(source, [edit]) for _, edit in found]


METRIC = """\
import math


def magnitude(value):
    exponent = int(math.floor(math.log10(abs(value))))
    return exponent // 3
"""


def test_an_escaped_exception_makes_the_value_that_raised_conditional() -> None:
    healed = _hinted(METRIC, ["E   ValueError: math domain error"])
    fixed = METRIC.replace("abs(value))))", "abs(value)))) if value != 0 else 0")
    assert fixed in healed[:3]
    assert not [s for s in _hinted(METRIC, ["E   assert 1 == 0"]) if " else " in s]


CHUNKED = """\
def chunked(items, n, strict=False):
    out = [items[i:i + n] for i in range(0, len(items), n or len(items))]
    if strict and n is None:
        raise ValueError("n must not be None")
    return out
"""


def test_a_missing_raise_checks_a_parameter_that_may_be_none_first() -> None:
    healed = _hinted(CHUNKED, ["E       Failed: DID NOT RAISE <class 'ValueError'>"])
    guard = "    if n is not None and n < 0:\n        raise ValueError("
    assert any(guard in s for s in healed)
    plain = CHUNKED.replace("strict and n is None", "strict")
    assert not any("is not None and" in s
                   for s in _hinted(plain, ["E       Failed: DID NOT RAISE <class 'ValueError'>"]))


CLAIMS = '''\
class ImmatureSignatureError(Exception):
    pass


class Claims:
    def _validate_iat(self, payload, now, leeway):
        int(payload["iat"])

    def _validate_nbf(self, payload, now, leeway):
        nbf = int(payload["nbf"])
        if nbf > (now + leeway):
            raise ImmatureSignatureError("The token is not yet valid (nbf)")

    def _validate_exp(self, payload, now, leeway):
        exp = payload.get("exp")
        if exp < now - leeway:
            raise ImmatureSignatureError("Expired")
'''


def test_a_missing_raise_borrows_a_sibling_check_with_its_names_adapted() -> None:
    # pyjwt's _validate_iat forgot the check _validate_nbf makes of its own claim.
    healed = _hinted(CLAIMS, ["E   Failed: DID NOT RAISE <class 'ImmatureSignatureError'>"])
    assert healed[0] == CLAIMS.replace(
        '        int(payload["iat"])\n',
        '        if int(payload["iat"]) > (now + leeway):\n'
        '            raise ImmatureSignatureError("The token is not yet valid (nbf)")\n'
        '        int(payload["iat"])\n', 1)
    # exp comes from an expression _validate_iat has no twin of: nothing to borrow.
    assert not any("exp" in h.split("def _validate_nbf")[0] for h in healed)


RLE = '''\
def encode(text):
    out = []
    for ch in text:
        out.append(ch)
    return "".join(out)
'''


def test_a_value_of_one_input_is_not_returned_under_a_condition() -> None:
    # `== '3a1b'` is what one input makes; `if text: return '3a1b'` only fits the test.
    for literal in ("'3a1b'", "2", "['a', '*', 12]"):
        message = f">       assert encode('aaab') == {literal}\nE       AssertionError"
        assert not [h for h in _hinted(RLE, [message]) if literal in h]
    message = ">       assert encode('') is None\nE       AssertionError"
    assert "    if not text:\n        return None\n" in _hinted(RLE, [message])[0]


COMMENTS = '''\
class Item:
    def comment(self, comment):
        if not comment.strip().startswith("#"):
            comment = "# " + comment
        self.trail = comment
        return self
'''
COMMENTS_TESTS = '''\
import pytest
from items import Item


def test_comment():
    assert Item().comment("x").trail == "# x"


def test_multiline_comment_is_rejected():
    with pytest.raises(ValueError, match="line breaks"):
        Item().comment("first line\\nsecond line")
'''


def test_control_characters_in_a_failing_tests_strings_are_read(tmp_path: Path) -> None:
    (tmp_path / "test_it.py").write_text(COMMENTS_TESTS)
    assert control_characters(tmp_path, ["test_it.py::test_multiline_comment_is_rejected"]) == [
        "\n"]
    assert control_characters(tmp_path, ["test_it.py::test_comment", "gone.py::test_x"]) == []


@pytest.mark.slow
def test_a_missing_raise_checks_for_a_character_the_test_passes(tmp_path: Path) -> None:
    # tomlkit's Item.comment: a comment holding a line break is to be rejected.
    healed = _heal(tmp_path, "items.py", COMMENTS, COMMENTS_TESTS)
    assert "        if '\\n' in comment:\n            raise ValueError('line breaks')\n" in healed


def test_a_raise_not_raised_takes_the_message_the_tests_match_asks_for() -> None:
    line = '>       with pytest.raises(ValueError, match="line breaks"):\n'
    assert read([line + "E       Failed: DID NOT RAISE ValueError"]).messages == ["line breaks"]
    pattern = ">       with pytest.raises(KeyError, match=r'a.*b'):\n"
    assert read([pattern + "E       Failed: DID NOT RAISE KeyError"]).messages == []


NONE_LINK = "E   AttributeError: 'NoneType' object has no attribute 'after'"
RING = """\
class Link:
    def __init__(self, value, after=None):
        self.value = value
        self.after = after


def loops(start):
    slow = fast = start
    while True:
        if fast.after is None:
            return False
        slow = slow.after
        fast = fast.after.after
        if fast is slow:
            return True
"""
RING_TESTS = """\
from ring import Link, loops


def test_one_link():
    assert not loops(Link(1))


def test_two_links():
    assert not loops(Link(1, Link(2)))


def test_four_links():
    assert not loops(Link(1, Link(2, Link(3, Link(4)))))


def test_a_ring():
    first = Link(1)
    second = Link(2, first)
    first.after = second
    assert loops(first)


def test_a_ring_of_three():
    first = Link(1)
    third = Link(3, Link(2, first))
    first.after = third
    assert loops(first)
"""


def test_none_without_an_attribute_checks_its_owner_first_in_the_condition() -> None:
    fixed = RING.replace("if fast.after is None:", "if fast is None or fast.after is None:")
    healed = _hinted(RING, [NONE_LINK])
    assert healed[0] == fixed
    narrowed = RING.replace("if fast.after is None:",
                            "if fast is not None and fast.after is None:")
    assert narrowed in healed
    assert not [s for s in _hinted(RING, ["E   AttributeError: 'NoneType' object has no "
                                          "attribute 'value'"]) if " is None or " in s]


def test_an_and_operand_reading_the_attribute_of_none_is_checked_alone() -> None:
    source = ("def find(cur, count, target):\n"
              "    while count > 0 and cur.after.value != target:\n"
              "        count -= 1\n        cur = cur.after\n    return cur\n")
    healed = _hinted(source, [NONE_LINK])
    operand = source.replace("count > 0 and cur.after.value != target",
                             "count > 0 and (cur is not None and cur.after.value != target)")
    assert operand in healed
    assert healed.index(operand) < len(healed) // 2 + 1
    assert not [s for s in healed if "cur.after is not None" in s]  # only after's owner


@pytest.mark.slow
def test_a_cycle_check_that_reads_past_the_end_checks_the_link_for_none(tmp_path: Path) -> None:
    # QuixBugs' detect_cycle: the hare reaches None, then `hare.successor` is read on it.
    healed = _heal(tmp_path, "ring.py", RING, RING_TESTS)
    assert "        if fast is None or fast.after is None:\n" in healed


# A name its module no longer has: code written for another Python
OLD_PYTHON = """\
import collections
import inspect
from collections import Mapping, OrderedDict


def nth(n, seq):
    if isinstance(seq, (tuple, list, collections.Sequence)):
        return seq[n]
    return list(seq)[n]


def arity(f):
    return len(inspect.getargspec(f).args)


def merged(*maps):
    if not all(isinstance(m, Mapping) for m in maps):
        raise TypeError('maps only')
    return OrderedDict((k, v) for m in maps for k, v in m.items())
"""


def test_a_name_its_module_no_longer_has_is_read_where_it_is_now() -> None:
    hints = read([
        "E       AttributeError: module 'collections' has no attribute 'Sequence'",
        "E   ImportError: cannot import name 'Mapping' from 'collections' "
        "(/usr/lib/python3.11/collections/__init__.py)",
        "E   AttributeError: module 'inspect' has no attribute 'getargspec'",
    ])
    assert hints.lacking == [("collections", "Sequence"), ("collections", "Mapping"),
                             ("inspect", "getargspec")]
    healed = _hinted(OLD_PYTHON, ["AttributeError: module 'collections' has no attribute "
                                  "'Sequence'"])[0]
    # collections.abc is an attribute of collections only once something imported it
    assert healed.startswith("import collections\nimport collections.abc\nimport inspect\n")
    assert "(tuple, list, collections.abc.Sequence)" in healed
    healed = _hinted(OLD_PYTHON, ["ImportError: cannot import name 'Mapping' from "
                                  "'collections' (/usr/lib/python3.11/collections/__init__.py)"])[0]
    assert "from collections import OrderedDict\nfrom collections.abc import Mapping\n" in healed
    # not in a submodule: the module's own closest name
    healed = _hinted(OLD_PYTHON, ["AttributeError: module 'inspect' has no attribute "
                                  "'getargspec'"])[0]
    assert "len(inspect.getfullargspec(f).args)" in healed
    # each use through the name it reads the module by
    aliased = ("import collections\nimport collections as c\n\n\n"
               "def seq(x):\n    return isinstance(x, (collections.Sequence, c.Sequence))\n")
    assert _hinted(aliased, ["AttributeError: module 'collections' has no attribute "
                             "'Sequence'"])[0].endswith(
        "isinstance(x, (collections.abc.Sequence, c.abc.Sequence))\n")
    # a rename no similarity finds, from the standard library's history
    timed = "import time\n\n\ndef now():\n    return time.clock()\n"
    assert _hinted(timed, ["AttributeError: module 'time' has no attribute 'clock'"])[0] == (
        "import time\n\n\ndef now():\n    return time.perf_counter()\n")
    zipped = "from itertools import izip\n\n\ndef pairs(a, b):\n    return list(izip(a, b))\n"
    assert _hinted(zipped, ["ImportError: cannot import name 'izip' from 'itertools'"])[0] == (
        "izip = zip\n\n\ndef pairs(a, b):\n    return list(izip(a, b))\n")
    # a builtin of the name (numpy's np.float), through the name the module is read as
    floats = "import numpy as np\n\n\ndef half(x):\n    return np.float(x) / 2\n"
    assert _hinted(floats, ["AttributeError: module 'numpy' has no attribute 'float'"])[0] == (
        "import numpy as np\n\n\ndef half(x):\n    return float(x) / 2\n")


@pytest.mark.slow
def test_code_written_for_an_older_python_is_healed(tmp_path: Path) -> None:
    tests = ("from old import arity, merged, nth\n\n\n"
             "def test_nth():\n    assert nth(1, 'abc') == 'b'\n\n\n"
             "def test_arity():\n    assert arity(lambda a, b: a) == 2\n")
    source = OLD_PYTHON.replace("from collections import Mapping, OrderedDict\n", "")
    healed = _heal(tmp_path, "old.py", source, tests)
    assert "(tuple, list, collections.abc.Sequence)" in healed
    assert "len(inspect.getfullargspec(f).args)" in healed


# A generator that ends by StopIteration: a RuntimeError since Python 3.7 (PEP 479)
WINDOWS = """\
import collections
import itertools


def sliding_window(n, seq):
    it = iter(seq)
    d = collections.deque(itertools.islice(it, n), n)
    if len(d) != n:
        raise StopIteration()
    yield tuple(d)
    for item in it:
        d.append(item)
        yield tuple(d)


def pairs(seq):
    it = iter(seq)
    prev = next(it)
    for item in it:
        yield prev, item
        prev = item


def first(seq):
    return next(iter(seq))
"""


def test_a_generator_that_raised_stop_iteration_returns_instead() -> None:
    stopped = ["E       RuntimeError: generator raised StopIteration"]
    assert read(stopped).stopped
    healed = _hinted(WINDOWS, stopped)
    assert healed[0] == WINDOWS.replace("        raise StopIteration()\n", "        return\n")
    assert healed[1] == WINDOWS.replace(
        "    prev = next(it)\n",
        "    try:\n        prev = next(it)\n    except StopIteration:\n        return\n")
    # first() is no generator: a StopIteration it lets out is its callers' to catch
    assert not any("def first(seq):\n    try:" in h for h in healed)
    assert not any("except StopIteration" in h for h in _hinted(WINDOWS, ["E   assert 1 == 2"]))


@pytest.mark.slow
def test_generators_written_before_python_3_7_are_healed(tmp_path: Path) -> None:
    tests = ("from windows import pairs, sliding_window\n\n\n"
             "def test_short():\n    assert list(sliding_window(3, [1, 2])) == []\n\n\n"
             "def test_window():\n"
             "    assert list(sliding_window(2, [1, 2, 3])) == [(1, 2), (2, 3)]\n\n\n"
             "def test_no_pairs():\n    assert list(pairs([])) == []\n")
    healed = _heal(tmp_path, "windows.py", WINDOWS, tests)
    assert "    if len(d) != n:\n        return\n" in healed
    assert ("    try:\n        prev = next(it)\n    except StopIteration:\n        return\n"
            in healed)


# A plain statement reading an attribute of what may be None
PROFILES = """\
class Profile:
    def __init__(self, name):
        self.name = name


class User:
    def __init__(self, profile=None):
        self.profile = profile


def describe(user):
    name = user.profile.name
    return f'user {name}'
"""
PROFILES_TESTS = """\
from profiles import Profile, User, describe


def test_named():
    assert describe(User(Profile('ann'))) == 'user ann'


def test_no_profile():
    assert describe(User()) is None
"""


@pytest.mark.slow
def test_a_statement_reading_an_attribute_of_none_is_guarded(tmp_path: Path) -> None:
    healed = _heal(tmp_path, "profiles.py", PROFILES, PROFILES_TESTS)
    guarded = "    if user.profile is None:\n        return None\n    name = user.profile.name\n"
    assert guarded in healed


def test_a_deprecated_standard_module_is_looked_into_without_a_word() -> None:
    import sys
    import warnings

    from healloop.repair import moved

    if "nntplib" in sys.modules or "nntplib" not in sys.stdlib_module_names:
        pytest.skip("nntplib is imported already (nothing would be said) or gone (3.13)")
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        assert moved._standard("nntplib") is not None  # deprecated since Python 3.11
    assert not said


PLANETS = '''\
PLANETS = ("Mercury", "Venus", "Earth", "Mars", "Jupyter", "Saturn")


def between(first, second):
    """Return the planets strictly between two, nearest the sun first."""
    if first not in PLANETS or second not in PLANETS:
        return ()
    low, high = sorted((PLANETS.index(first), PLANETS.index(second)))
    return PLANETS[low + 1:high]
'''
PLANETS_TESTS = """\
from planets import between


def test_inner():
    assert between("Mercury", "Mars") == ("Venus", "Earth")


def test_outer():
    assert between("Jupiter", "Earth") == ("Mars",)
"""


def test_a_literal_one_slip_from_a_string_the_test_writes_is_spelt_as_the_test_does(
        tmp_path: Path) -> None:
    assert read(['>       assert between("Jupiter", "Earth") == ("Mars",)\nE  assert']).words \
        == ["Jupiter", "Earth", "Mars"]
    healed = _heal(tmp_path, "planets.py", PLANETS, PLANETS_TESTS)
    assert healed == PLANETS.replace('"Jupyter"', '"Jupiter"')


BRACKETS = '''\
def depth(text):
    """Return how deep the brackets of text nest."""
    deepest = level = 0
    for char in text:
        if char == "(":
            level += 1
        else:
            level -= 1
        deepest = max(deepest, level)
    return deepest
'''
BRACKETS_TESTS = """\
from nesting import depth


def test_flat():
    assert depth("[][]") == 1


def test_nested():
    assert depth("[[]]") == 2
"""


def test_a_mark_the_code_compares_with_may_be_one_the_tests_inputs_are_made_of(
        tmp_path: Path) -> None:
    healed = _heal(tmp_path, "nesting.py", BRACKETS, BRACKETS_TESTS)
    assert healed == BRACKETS.replace('"("', '"["')


QUALIFIED = """\
def qualified(owner, name, count):
    total = count + 1
    return owner + name
"""


def test_the_piece_an_asserted_string_lacks_is_joined_in_where_the_code_concatenates() -> None:
    healed = _hinted(QUALIFIED, ["E   AssertionError: assert 'my_classAA' == 'my_class.AA'"])
    assert QUALIFIED.replace("owner + name", "owner + '.' + name") in healed
    assert QUALIFIED.replace("count + 1", "count + '.' + 1") not in healed  # a sum of numbers
    assert not _hinted(QUALIFIED, ["E   AssertionError: assert 'my_class' == 'your_class'"])
