"""Primality by trial division."""


def is_prime(n):
    """Return whether n is a prime number."""
    if n < 2:
        return False
    for d in range(2, int(n ** 0.5) + 1):
        if n % d == 0:
            return False
    return True


def primes_below(limit):
    """Return the primes smaller than limit."""
    return [n for n in range(limit) if is_prime(n)]
