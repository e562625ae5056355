from log_tail import errors_in_tail, tail


def test_last_two():
    assert tail(["a", "b", "c"], 2) == ["b", "c"]


def test_zero():
    assert tail(["a"], 0) == []


def test_errors():
    log = ["ok", "ERROR x", "ok", "ERROR y"]
    assert errors_in_tail(log, 2) == ["ERROR y"]
