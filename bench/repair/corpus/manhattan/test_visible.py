from manhattan import manhattan, nearest


def test_same_point():
    assert manhattan((1, 1), (1, 1)) == 0


def test_horizontal():
    assert manhattan((0, 0), (3, 0)) == 3


def test_diagonal():
    assert manhattan((0, 0), (2, 3)) == 5


def test_nearest():
    assert nearest([(5, 5), (1, 0)], (0, 0)) == (1, 0)
