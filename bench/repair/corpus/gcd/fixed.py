"""Greatest common divisors and least common multiples."""


def gcd(a, b):
    """Return the greatest common divisor of two non-negative integers."""
    while b:
        a, b = b, a % b
    return a


def lcm(a, b):
    """Return the least common multiple of two positive integers."""
    return a // gcd(a, b) * b
