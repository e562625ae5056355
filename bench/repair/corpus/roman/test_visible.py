from roman import roman_to_int


def test_single():
    assert roman_to_int("X") == 10


def test_additive():
    assert roman_to_int("XVII") == 17


def test_subtractive():
    assert roman_to_int("IV") == 4
