from climb_stairs import count_ways


def test_zero_stairs():
    assert count_ways(0) == 1


def test_one_stair():
    assert count_ways(1) == 1


def test_four_stairs():
    assert count_ways(4) == 5
