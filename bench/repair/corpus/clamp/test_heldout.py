from clamp import clamp


def test_above():
    assert clamp(11, 0, 10) == 10


def test_bounds():
    assert clamp(0, 0, 10) == 0
    assert clamp(10, 0, 10) == 10


def test_floats():
    assert clamp(0.5, 0.0, 0.25) == 0.25
