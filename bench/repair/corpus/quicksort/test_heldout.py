import random

from quicksort import partition, quicksort


def test_random_lists():
    rng = random.Random(2)
    for _ in range(40):
        data = [rng.randint(-9, 9) for _ in range(rng.randint(0, 14))]
        assert quicksort(list(data)) == sorted(data)


def test_partition_places_pivot():
    data = [4, 8, 1, 6, 5]
    p = partition(data, 0, 4)
    assert data[p] == 5
    assert all(x <= 5 for x in data[:p]) and all(x > 5 for x in data[p + 1:])
