from wrap_text import wrap


def test_empty():
    assert wrap("", 10) == []


def test_fits_on_one_line():
    assert wrap("a b c", 10) == ["a b c"]


def test_breaks():
    assert wrap("the quick brown fox", 10) == ["the quick", "brown fox"]


def test_word_that_would_overflow_moves_down():
    assert wrap("ab cdef", 6) == ["ab", "cdef"]
