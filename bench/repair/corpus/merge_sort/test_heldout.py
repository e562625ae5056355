import random

from merge_sort import merge_sort


def test_random_lists():
    rng = random.Random(9)
    for _ in range(30):
        data = [rng.randint(0, 50) for _ in range(rng.randint(0, 30))]
        assert merge_sort(data) == sorted(data)


def test_stable():
    pairs = [(1, "b"), (0, "a"), (1, "a"), (0, "b")]
    keyed = [(p[0], i) for i, p in enumerate(pairs)]
    assert merge_sort(keyed) == sorted(keyed)
