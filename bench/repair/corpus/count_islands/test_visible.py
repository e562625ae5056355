from count_islands import count_islands


def test_empty_grid():
    assert count_islands([]) == 0


def test_square_grid():
    assert count_islands([[1, 0], [0, 1]]) == 2


def test_wide_grid():
    assert count_islands([[1, 1, 1, 0, 1]]) == 2


def test_all_water():
    assert count_islands([[0, 0], [0, 0]]) == 0
