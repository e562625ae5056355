from counting_sort import counting_sort


def test_empty():
    assert counting_sort([]) == []


def test_small_list():
    assert counting_sort([3, 1, 2]) == [1, 2, 3]


def test_negative_values():
    assert counting_sort([0, -2, -1, -2]) == [-2, -2, -1, 0]
