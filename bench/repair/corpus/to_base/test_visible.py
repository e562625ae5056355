from to_base import to_base


def test_zero():
    assert to_base(0, 2) == "0"


def test_binary():
    assert to_base(5, 2) == "101"


def test_hex():
    assert to_base(255, 16) == "ff"
