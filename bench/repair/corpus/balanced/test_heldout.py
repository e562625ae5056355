from balanced import is_balanced


def test_closing_first():
    assert not is_balanced(")(")


def test_unclosed():
    assert not is_balanced("((")


def test_with_text():
    assert is_balanced("f(a[1], {b: 2})")


def test_extra_closing_bracket():
    assert not is_balanced("())")
    assert not is_balanced("[]]")
