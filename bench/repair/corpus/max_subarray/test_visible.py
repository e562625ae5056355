from max_subarray import max_subarray


def test_single():
    assert max_subarray([4]) == 4


def test_all_positive():
    assert max_subarray([1, 2, 3]) == 6


def test_classic():
    assert max_subarray([-2, 1, -3, 4, -1, 2, 1, -5, 4]) == 6
