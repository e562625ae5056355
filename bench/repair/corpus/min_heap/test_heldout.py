import random

from min_heap import MinHeap


def test_heap_sort():
    rng = random.Random(4)
    data = [rng.randint(0, 100) for _ in range(60)]
    heap = MinHeap()
    for x in data:
        heap.push(x)
    assert [heap.pop() for _ in range(len(data))] == sorted(data)


def test_len():
    heap = MinHeap()
    heap.push(1)
    heap.push(2)
    assert len(heap) == 2
