from dedupe import dedupe


def test_empty():
    assert dedupe([]) == []


def test_all_same():
    assert dedupe([4, 4, 4]) == [4]


def test_keeps_first_occurrence():
    pairs = [("x", 1), ("y", 2), ("x", 3)]
    assert dedupe(pairs, key=lambda p: p[0]) == [("x", 1), ("y", 2)]
