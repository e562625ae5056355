from log_tail import tail


def test_more_than_available():
    assert tail(["a", "b"], 5) == ["a", "b"]


def test_one():
    assert tail(["x", "y", "z"], 1) == ["z"]
