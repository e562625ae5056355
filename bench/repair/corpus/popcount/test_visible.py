from popcount import parity, popcount


def test_zero():
    assert popcount(0) == 0


def test_one():
    assert popcount(1) == 1


def test_seven():
    assert popcount(7) == 3


def test_power_of_two():
    assert popcount(8) == 1
