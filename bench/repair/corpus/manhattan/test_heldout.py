from manhattan import manhattan, nearest


def test_symmetric():
    for p, q in [((0, 4), (3, 1)), ((-2, 7), (5, -1))]:
        assert manhattan(p, q) == manhattan(q, p)


def test_negative_direction():
    assert manhattan((0, 5), (0, 1)) == 4


def test_nearest_below():
    assert nearest([(0, -1), (0, 3)], (0, 0)) == (0, -1)
