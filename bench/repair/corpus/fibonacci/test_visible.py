from fibonacci import fib, fib_list


def test_first_numbers():
    assert fib_list(5) == [0, 1, 1, 2, 3]


def test_tenth():
    assert fib(10) == 55
