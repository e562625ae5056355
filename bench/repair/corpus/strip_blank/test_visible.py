from strip_blank import paragraphs, strip_blank


def test_nothing_blank():
    assert strip_blank(["a", "b"]) == ["a", "b"]


def test_blank_lines_dropped():
    assert strip_blank(["a", "", "  ", "b"]) == ["a", "b"]


def test_paragraphs():
    assert paragraphs("one\ntwo\n\nthree\n") == ["one two", "three"]
