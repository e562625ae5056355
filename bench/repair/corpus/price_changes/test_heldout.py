from price_changes import changes, worst_drop


def test_too_short():
    assert changes([3]) == []


def test_no_drop():
    assert worst_drop([1, 2, 3]) == 0


def test_mixed():
    assert changes([2, 5, 1, 1]) == [3, -4, 0]
