from tokenizer import tokenize


def test_single_number():
    assert tokenize("42") == [42]


def test_no_spaces():
    assert tokenize("1+x") == [1, "+", "x"]


def test_spaces():
    assert tokenize("a * 12") == ["a", "*", 12]
