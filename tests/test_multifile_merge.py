"""Composing candidates of several targets into one tree: three-way merge per file."""

from healloop.changeset import compose, merge
from healloop.state import Candidate, FileChange

ORIGINAL = "a\nb\nc\nd\ne\n"


def test_edits_to_different_lines_both_survive():
    first = ORIGINAL.replace("b\n", "B\n")
    second = ORIGINAL.replace("e\n", "E\n")
    assert merge(ORIGINAL, [first, second]) == "a\nB\nc\nd\nE\n"


def test_the_same_edit_made_twice_is_applied_once():
    both = ORIGINAL.replace("c\n", "C\n")
    assert merge(ORIGINAL, [both, both]) == "a\nb\nC\nd\ne\n"
    assert merge(ORIGINAL, [both, ORIGINAL]) == both


def test_different_edits_to_the_same_line_are_a_conflict_not_a_guess():
    assert merge(ORIGINAL, [ORIGINAL.replace("c\n", "X\n"), ORIGINAL.replace("c\n", "Y\n")]) is None


def test_two_insertions_at_one_place_are_a_conflict():
    assert merge(ORIGINAL, ["a\nx\nb\nc\nd\ne\n", "a\ny\nb\nc\nd\ne\n"]) is None


def test_an_insertion_and_a_removal_elsewhere_merge():
    assert merge(ORIGINAL, ["top\n" + ORIGINAL, "a\nb\nd\ne\n"]) == "top\na\nb\nd\ne\n"


def candidate(cid: str, target: str, changes: dict[str, str], built_on=()) -> Candidate:
    return Candidate(id=cid, target=target, engine="test", iteration=1,
                     changes=[FileChange(path=p, content=c) for p, c in changes.items()],
                     built_on=list(built_on))


def originals(path: str) -> str:
    return ORIGINAL


def test_compose_merges_a_shared_file_and_keeps_each_own_file():
    rename = candidate("c1", "a.py", {"a.py": "A\n", "b.py": ORIGINAL.replace("b\n", "B\n")})
    lint = candidate("c2", "b.py", {"b.py": ORIGINAL.replace("e\n", "")})
    tree = compose([lint, rename], originals)
    assert tree.conflict is None
    assert tree.content_of("a.py") == "A\n"
    assert tree.content_of("b.py") == "a\nB\nc\nd\n"


def test_a_candidate_built_on_another_supersedes_its_version_of_the_shared_file():
    rename = candidate("c1", "a.py", {"a.py": "A\n", "b.py": ORIGINAL.replace("b\n", "B\n")})
    # Built on c1: it holds c1's edit, and also rewrote the same line further.
    further = ORIGINAL.replace("b\n", "B2\n")
    on_top = candidate("c2", "b.py", {"b.py": further}, built_on=["c1"])
    assert compose([on_top, rename], originals).content_of("b.py") == further
    clash = candidate("c3", "b.py", {"b.py": ORIGINAL.replace("b\n", "B3\n")})
    assert compose([clash, rename], originals).conflict == "b.py"
