from lcs import lcs_length


def test_empty():
    assert lcs_length("", "abc") == 0


def test_identical():
    assert lcs_length("abc", "abc") == 3


def test_classic():
    assert lcs_length("ABCBDAB", "BDCABA") == 4
