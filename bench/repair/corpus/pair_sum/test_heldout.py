from pair_sum import pair_with_sum


def test_pair_needs_small_numbers():
    assert pair_with_sum([1, 2, 5, 10, 11], 3) == (0, 1)


def test_pair_needs_large_numbers():
    assert pair_with_sum([1, 2, 5, 10, 11], 21) == (3, 4)


def test_negative_numbers():
    assert pair_with_sum([-5, -1, 0, 3, 7], 2) == (0, 4)


def test_empty():
    assert pair_with_sum([], 0) is None
