from min_stack import MinStack


def test_pop_returns_top():
    s = MinStack()
    s.push(4)
    s.push(9)
    assert s.pop() == 9


def test_many_duplicates():
    s = MinStack()
    for x in (3, 3, 3, 1, 1):
        s.push(x)
    s.pop()
    s.pop()
    assert s.min() == 3
    s.pop()
    s.pop()
    assert s.min() == 3
