from dedupe import dedupe


def test_no_duplicates():
    assert dedupe([1, 2, 3]) == [1, 2, 3]


def test_duplicates_dropped():
    assert dedupe([1, 2, 1, 3, 2]) == [1, 2, 3]


def test_key():
    assert dedupe(["a", "A", "b"], key=str.lower) == ["a", "b"]
