from climb_stairs import count_ways


def test_three_step_sizes():
    assert count_ways(4, steps=(1, 2, 3)) == 7


def test_only_twos():
    assert count_ways(5, steps=(2,)) == 0
    assert count_ways(6, steps=(2,)) == 1


def test_fibonacci_growth():
    assert count_ways(10) == 89
