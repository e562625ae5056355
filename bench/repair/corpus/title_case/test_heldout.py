from title_case import capitalize_word, title_case


def test_empty():
    assert capitalize_word("") == ""
    assert title_case("") == ""


def test_shouting():
    assert title_case("WAR AND PEACE") == "War and Peace"
