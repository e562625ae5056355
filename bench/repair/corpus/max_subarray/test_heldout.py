from max_subarray import max_subarray


def test_all_negative():
    assert max_subarray([-3, -1, -2]) == -1


def test_restart_after_dip():
    assert max_subarray([2, -10, 3, 4]) == 7


def test_whole_array():
    assert max_subarray([5, -1, 5]) == 9
