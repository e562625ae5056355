from wrap_text import wrap


def test_exact_width():
    assert wrap("aaa bbb", 7) == ["aaa bbb"]
    assert wrap("aaa bbbb", 7) == ["aaa", "bbbb"]


def test_long_word_alone():
    assert wrap("a verylongword b", 5) == ["a", "verylongword", "b"]


def test_no_line_too_long():
    text = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do"
    for width in range(11, 30):
        assert all(len(line) <= width for line in wrap(text, width))
