from count_islands import count_islands


def test_tall_grid():
    assert count_islands([[1], [1], [0], [1]]) == 2


def test_snake():
    grid = [
        [1, 1, 1, 1, 1, 1],
        [0, 0, 0, 0, 0, 1],
        [1, 1, 1, 1, 1, 1],
    ]
    assert count_islands(grid) == 1


def test_checkerboard():
    grid = [[(r + c) % 2 for c in range(5)] for r in range(3)]
    assert count_islands(grid) == 7
