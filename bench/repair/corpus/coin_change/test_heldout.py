from coin_change import min_coins


def test_us_coins():
    assert min_coins([1, 5, 10, 25], 63) == 6


def test_many_of_one_coin():
    assert min_coins([3], 12) == 4


def test_two_coins():
    assert min_coins([2, 5], 7) == 2
