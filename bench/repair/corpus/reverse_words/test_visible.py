from reverse_words import last_word, reverse_words


def test_two_words():
    assert reverse_words("hello world") == "world hello"


def test_extra_spaces():
    assert reverse_words("  a   b ") == "b a"


def test_last_word():
    assert last_word("the quick fox") == "fox"
