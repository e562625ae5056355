from min_stack import MinStack


def test_min_of_pushed():
    s = MinStack()
    for x in (5, 3, 7):
        s.push(x)
    assert s.min() == 3


def test_min_after_pop():
    s = MinStack()
    for x in (5, 3):
        s.push(x)
    s.pop()
    assert s.min() == 5


def test_duplicate_minimum():
    s = MinStack()
    for x in (2, 1, 1):
        s.push(x)
    s.pop()
    assert s.min() == 1
