from list_max import maximum, spread


def test_maximum():
    assert maximum([3, 9, 2]) == 9


def test_empty_maximum():
    assert maximum([]) is None


def test_spread():
    assert spread([4, 1, 7]) == 6
