"""Search/replace edit blocks: exact, forgiving about indentation, never ambiguous."""

from healloop.llm.edits import apply_blocks
from healloop.llm.schemas import EditBlock

SOURCE = """\
class Cart:
    def total(self, items):
        result = 0
        for item in items:
            result += item.price
        return result

    def count(self, items):
        result = 0
        for item in items:
            result += 1
        return result
"""


def block(search: str, replace: str) -> EditBlock:
    return EditBlock(path="cart.py", search=search, replace=replace, reason="r")


def test_an_exact_unique_block_is_applied():
    edit = block("result += item.price\n", "result += item.price * item.qty\n")
    applied = apply_blocks(SOURCE, [edit])
    assert applied.problems == []
    assert "item.price * item.qty" in applied.content


def test_blocks_apply_in_order_on_the_edited_text():
    edits = [block("def count", "def size"), block("def size", "def length")]
    applied = apply_blocks(SOURCE, edits)
    assert "def length(self, items)" in applied.content


def test_a_block_quoted_without_its_indentation_is_reindented():
    search = "for item in items:\n    result += item.price\n"
    replace = "for item in items:\n    if item.price > 0:\n        result += item.price\n"
    applied = apply_blocks(SOURCE, [block(search, replace)])
    assert applied.problems == []
    wanted = "            if item.price > 0:\n                result += item.price\n"
    assert wanted in applied.content


def test_an_ambiguous_block_is_a_problem_that_names_the_lines():
    applied = apply_blocks(SOURCE, [block("        result = 0\n", "        result = 1\n")])
    assert applied.content is None
    assert "occurs 2 times (lines 3, 9)" in applied.problems[0]


def test_a_block_that_matches_nothing_shows_the_closest_text():
    applied = apply_blocks(SOURCE, [block("    def total(self, things):\n", "x")])
    assert applied.content is None
    assert "not in the file" in applied.problems[0]
    assert "lines 2-2" in applied.problems[0] and "def total(self, items)" in applied.problems[0]


def test_one_failing_block_means_nothing_is_applied():
    applied = apply_blocks(SOURCE, [block("def count", "def size"), block("missing text", "x")])
    assert applied.content is None
    assert applied.problems == [applied.problems[0]] and applied.problems[0].startswith("block 2:")


def test_an_empty_answer_or_search_text_is_a_problem():
    assert apply_blocks(SOURCE, []).problems == ["the answer has no edit blocks"]
    assert "empty" in apply_blocks(SOURCE, [block("  \n", "x")]).problems[0]
