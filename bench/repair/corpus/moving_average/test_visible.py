from moving_average import moving_average


def test_window_of_one():
    assert moving_average([1, 2, 3], 1) == [1, 2, 3]


def test_window_of_two():
    assert moving_average([2, 4, 6, 8], 2) == [3, 5, 7]


def test_too_large():
    assert moving_average([1], 2) == []
