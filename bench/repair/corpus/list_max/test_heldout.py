from list_max import maximum, spread


def test_negative():
    assert maximum([-5, -2, -9]) == -2


def test_empty_spread():
    assert spread([]) == 0


def test_tuple_input():
    assert maximum(()) is None
    assert maximum((1,)) == 1
