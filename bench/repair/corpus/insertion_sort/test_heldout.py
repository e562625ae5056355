import random

from insertion_sort import insertion_sort


def test_random_lists():
    rng = random.Random(7)
    for _ in range(50):
        data = [rng.randint(-20, 20) for _ in range(rng.randint(0, 12))]
        assert insertion_sort(data) == sorted(data)


def test_smallest_last():
    assert insertion_sort([5, 6, 7, 1]) == [1, 5, 6, 7]


def test_strings():
    assert insertion_sort(["pear", "apple", "fig"]) == ["apple", "fig", "pear"]
