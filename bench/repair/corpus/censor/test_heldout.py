from censor import censor


def test_two_words():
    assert censor("foo bar baz", ["foo", "baz"]) == "*** bar ***"


def test_word_absent():
    assert censor("clean text", ["dirty"]) == "clean text"


def test_inside_words():
    assert censor("classic", ["ass"]) == "cl***ic"
