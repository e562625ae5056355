from min_heap import MinHeap


def test_single():
    heap = MinHeap()
    heap.push(3)
    assert heap.pop() == 3


def test_smallest_first():
    heap = MinHeap()
    for x in (5, 1, 4):
        heap.push(x)
    assert heap.pop() == 1
