from insertion_sort import insertion_sort


def test_already_sorted():
    assert insertion_sort([1, 2, 3]) == [1, 2, 3]


def test_reversed():
    assert insertion_sort([3, 2, 1]) == [1, 2, 3]


def test_empty():
    assert insertion_sort([]) == []


def test_input_is_not_changed():
    data = [2, 1]
    insertion_sort(data)
    assert data == [2, 1]
