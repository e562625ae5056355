from lis import lis_length


def test_decreasing():
    assert lis_length([5, 4, 3, 2]) == 1


def test_plateau_inside():
    assert lis_length([1, 3, 3, 3, 4]) == 3


def test_zigzag():
    assert lis_length([0, 8, 4, 12, 2, 10, 6, 14, 1, 9]) == 4
