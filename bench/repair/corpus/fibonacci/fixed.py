"""Fibonacci numbers."""


def fib(n):
    """Return the n-th Fibonacci number, fib(0) == 0."""
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def fib_list(count):
    """Return the first count Fibonacci numbers."""
    return [fib(i) for i in range(count)]
