from caesar import decrypt, encrypt


def test_shift_by_one():
    assert encrypt("abc", 1) == "bcd"


def test_wraps_around():
    assert encrypt("xyz", 3) == "abc"


def test_keeps_punctuation():
    assert encrypt("hi!", 0) == "hi!"
