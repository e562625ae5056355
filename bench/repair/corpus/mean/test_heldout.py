from mean import mean, variance


def test_empty_variance():
    assert variance([]) == 0.0


def test_single():
    assert mean([7]) == 7
    assert variance([7]) == 0


def test_negative():
    assert mean([-2, 2]) == 0
