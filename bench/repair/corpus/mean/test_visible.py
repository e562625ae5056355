from mean import mean, variance


def test_mean():
    assert mean([1, 2, 3]) == 2


def test_empty_mean():
    assert mean([]) == 0.0


def test_variance():
    assert variance([2, 4, 4, 4, 5, 5, 7, 9]) == 4
