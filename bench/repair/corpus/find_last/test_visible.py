from find_last import find_last, last_negative


def test_last_match_is_found():
    assert find_last([1, 2, 3, 2], lambda x: x == 2) == 3


def test_no_match():
    assert find_last([1, 2, 3], lambda x: x > 5) == -1


def test_only_the_first_matches():
    assert find_last([5, 1, 1], lambda x: x == 5) == 0


def test_last_negative():
    assert last_negative([3, -1, 4, -5, 9]) == 3
