from bisect_left import bisect_left, count_less


def test_insert_into_empty():
    assert bisect_left([], 5) == 0


def test_insert_after_everything():
    assert bisect_left([1, 2, 3], 9) == 3


def test_insert_before_everything():
    assert bisect_left([4, 5, 6], 1) == 0


def test_duplicates_go_left():
    assert bisect_left([1, 2, 2, 2, 3], 2) == 1


def test_count_less():
    assert count_less([1, 3, 5, 7], 6) == 3


def test_present_value_is_found():
    assert bisect_left([1, 3], 3) == 1
