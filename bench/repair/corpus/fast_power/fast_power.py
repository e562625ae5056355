"""Exponentiation by squaring."""


def power(base, exp, mod=None):
    """Return base ** exp (mod mod, when given) for a non-negative integer exp."""
    result = 1
    while exp > 0:
        if exp | 1:
            result = result * base if mod is None else result * base % mod
        base = base * base if mod is None else base * base % mod
        exp >>= 1
    return result
