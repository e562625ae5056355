from bubble_sort import bubble_sort


def test_sorted_input():
    assert bubble_sort([1, 2, 3, 4]) == [1, 2, 3, 4]


def test_one_swap_needed():
    assert bubble_sort([2, 1, 3]) == [1, 2, 3]


def test_reversed_input():
    assert bubble_sort([4, 3, 2, 1]) == [1, 2, 3, 4]


def test_duplicates():
    assert bubble_sort([3, 1, 3, 1]) == [1, 1, 3, 3]
