from pair_sum import pair_with_sum


def test_no_pair_in_short_list():
    assert pair_with_sum([1], 1) is None


def test_pair_at_ends():
    assert pair_with_sum([1, 4, 6, 9], 10) == (0, 3)


def test_pair_in_middle():
    assert pair_with_sum([1, 2, 3, 8, 20], 5) == (1, 2)


def test_no_pair():
    assert pair_with_sum([1, 2, 4], 10) is None
