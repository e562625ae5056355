from fibonacci import fib, fib_list


def test_zero():
    assert fib(0) == 0


def test_recurrence():
    for n in range(2, 30):
        assert fib(n) == fib(n - 1) + fib(n - 2)


def test_empty_list():
    assert fib_list(0) == []
