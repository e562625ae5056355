from coin_change import min_coins


def test_zero_amount():
    assert min_coins([1, 2], 0) == 0


def test_single_coin_exact():
    assert min_coins([5], 5) == 1


def test_greedy_fails_dp_wins():
    assert min_coins([1, 3, 4], 6) == 2


def test_impossible():
    assert min_coins([2], 3) == -1
