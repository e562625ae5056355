from roman import roman_to_int


def test_year():
    assert roman_to_int("MCMXCIV") == 1994


def test_forty_nine():
    assert roman_to_int("XLIX") == 49


def test_three_thousand():
    assert roman_to_int("MMM") == 3000
