from merge_intervals import merge_intervals


def test_unsorted_input():
    assert merge_intervals([[5, 7], [1, 2], [2, 3]]) == [[1, 3], [5, 7]]


def test_contained():
    assert merge_intervals([[1, 10], [2, 3]]) == [[1, 10]]


def test_points():
    assert merge_intervals([[1, 1], [1, 1], [2, 2]]) == [[1, 1], [2, 2]]
