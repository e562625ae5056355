from moving_average import moving_average


def test_whole_list():
    assert moving_average([1, 2, 3, 4], 4) == [2.5]


def test_three():
    assert moving_average([3, 3, 3, 6, 6, 6], 3) == [3, 4, 5, 6]


def test_zero_window():
    assert moving_average([1, 2], 0) == []
