from merge_sort import merge, merge_sort


def test_merge():
    assert merge([1, 4], [2, 3, 5]) == [1, 2, 3, 4, 5]


def test_sort_empty_and_single():
    assert merge_sort([]) == []
    assert merge_sort([1]) == [1]


def test_sort_small():
    assert merge_sort([5, 2, 4, 1]) == [1, 2, 4, 5]
