from selection_sort import selection_sort


def test_sorted_stays_sorted():
    assert selection_sort([1, 2, 3]) == [1, 2, 3]


def test_unsorted_numbers():
    assert selection_sort([3, 1, 2]) == [1, 2, 3]


def test_sort_by_key():
    people = [("ann", 31), ("bob", 25), ("cy", 40)]
    assert selection_sort(people, key=lambda p: p[1])[0] == ("bob", 25)


def test_empty():
    assert selection_sort([]) == []
