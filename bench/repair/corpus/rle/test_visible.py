from rle import decode, encode


def test_empty():
    assert encode("") == ""


def test_two_runs():
    assert encode("aaab") == "3a1b"


def test_decode():
    assert decode("3a1b") == "aaab"
