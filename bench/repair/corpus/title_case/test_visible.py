from title_case import capitalize_word, title_case


def test_single_letter():
    assert capitalize_word("a") == "A"


def test_word():
    assert capitalize_word("hELLO") == "Hello"


def test_small_words():
    assert title_case("the lord of the rings") == "The Lord of the Rings"
