import random

from counting_sort import counting_sort


def test_random_lists():
    rng = random.Random(5)
    for _ in range(40):
        data = [rng.randint(-10, 10) for _ in range(rng.randint(1, 15))]
        assert counting_sort(data) == sorted(data)


def test_all_equal():
    assert counting_sort([4, 4, 4]) == [4, 4, 4]


def test_single():
    assert counting_sort([7]) == [7]
