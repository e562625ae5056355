from quicksort import quicksort


def test_empty():
    assert quicksort([]) == []


def test_two_sorted():
    assert quicksort([1, 2]) == [1, 2]


def test_three_unsorted():
    assert quicksort([3, 1, 2]) == [1, 2, 3]


def test_in_place():
    data = [2, 1]
    quicksort(data)
    assert data == [1, 2]
