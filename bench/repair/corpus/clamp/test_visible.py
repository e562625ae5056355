from clamp import clamp, clamp_all


def test_below():
    assert clamp(-5, 0, 10) == 0


def test_inside():
    assert clamp(5, 0, 10) == 5


def test_all():
    assert clamp_all([1, 20], 0, 10) == [1, 10]
