import random

from bubble_sort import bubble_sort


def test_random_lists():
    rng = random.Random(3)
    for _ in range(40):
        data = [rng.randint(0, 9) for _ in range(rng.randint(0, 10))]
        assert bubble_sort(data) == sorted(data)


def test_largest_first():
    assert bubble_sort([9, 1, 2, 3]) == [1, 2, 3, 9]


def test_empty_and_single():
    assert bubble_sort([]) == []
    assert bubble_sort([5]) == [5]
