import pytest

from two_stack_queue import Queue


def test_fifo():
    q = Queue()
    for x in (1, 2, 3):
        q.enqueue(x)
    assert [q.dequeue(), q.dequeue(), q.dequeue()] == [1, 2, 3]


def test_empty_raises():
    with pytest.raises(IndexError):
        Queue().dequeue()
