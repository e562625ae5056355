from tokenizer import tokenize


def test_leading_and_trailing_space():
    assert tokenize("  (x_1 + 7)  ") == ["(", "x_1", "+", 7, ")"]


def test_empty():
    assert tokenize("") == []
    assert tokenize("   ") == []


def test_tabs_and_newlines():
    assert tokenize("a\t-\nb") == ["a", "-", "b"]
