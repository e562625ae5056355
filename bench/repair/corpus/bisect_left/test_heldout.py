import bisect

from bisect_left import bisect_left, count_less


def test_matches_standard_library():
    items = [1, 1, 2, 4, 4, 4, 7, 9, 12]
    for x in range(-1, 14):
        assert bisect_left(items, x) == bisect.bisect_left(items, x)


def test_present_value():
    assert bisect_left([10, 20, 30], 20) == 1


def test_count_less_with_duplicates():
    assert count_less([2, 2, 2, 5], 2) == 0
    assert count_less([2, 2, 2, 5], 3) == 3
