import random

from selection_sort import selection_sort


def test_random_lists():
    rng = random.Random(11)
    for _ in range(40):
        data = [rng.randint(-5, 5) for _ in range(rng.randint(0, 9))]
        assert selection_sort(data) == sorted(data)


def test_key_descending():
    assert selection_sort([1, 3, 2], key=lambda x: -x) == [3, 2, 1]
