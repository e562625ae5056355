from balanced import is_balanced


def test_empty():
    assert is_balanced("")


def test_simple_pair():
    assert is_balanced("()")


def test_nested():
    assert is_balanced("{[()()]}")


def test_wrong_order():
    assert not is_balanced("(]")
