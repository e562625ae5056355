"""Counting set bits."""


def popcount(n):
    """Return the number of 1 bits in the non-negative integer n."""
    count = 0
    while n:
        n &= n - 1
        count += 1
    return count


def parity(n):
    """Return 1 when n has an odd number of set bits, else 0."""
    return popcount(n) % 2
