from price_changes import changes, worst_drop


def test_rising():
    assert changes([1, 2, 4]) == [1, 2]


def test_falling():
    assert changes([5, 3]) == [-2]


def test_worst_drop():
    assert worst_drop([10, 7, 8, 2]) == 6
