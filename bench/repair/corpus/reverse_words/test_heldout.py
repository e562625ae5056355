from reverse_words import last_word, reverse_words


def test_three_words_already_sorted():
    assert reverse_words("ant bee cat") == "cat bee ant"


def test_empty():
    assert reverse_words("") == ""
    assert last_word("") == ""


def test_one_word():
    assert reverse_words("solo") == "solo"
